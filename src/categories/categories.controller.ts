import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Patch, Post, Query } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import { ActivityPageResponse } from '../activity/dto/activity-response.dto.js';
import { DEFAULT_ACTIVITY_PAGE_SIZE, EntityActivityQuery } from '../activity/dto/list-activity.query.js';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { CategoriesService } from './categories.service.js';
import { CategoryListResponse, CategoryResponse } from './dto/category-response.dto.js';
import { CreateCategoryDto } from './dto/create-category.dto.js';
import { UpdateCategoryDto } from './dto/update-category.dto.js';

@ApiTags('categories')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('categories')
export class CategoriesController {
  constructor(
    private readonly categories: CategoriesService,
    private readonly activityLog: ActivityService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a category (at most 1,000 per user)',
    description:
      'Names are unique per user, ignoring case (409 otherwise); past 1,000 categories the caller gets 409 too.',
  })
  @ApiCreatedResponse({ type: CategoryResponse })
  @ApiProblems(400, 401, 403, 409, 413, 415)
  async create(@CurrentActor() caller: RequestActor, @Body() body: CreateCategoryDto): Promise<CategoryResponse> {
    return CategoryResponse.from(await this.categories.create(caller, body));
  }

  @Get()
  @ApiOperation({
    summary: "The caller's categories, by name, with their task counts",
    description:
      'All of the caller\'s categories ordered by name, each with the number of tasks in it.',
  })
  @ApiOkResponse({ type: CategoryListResponse })
  @ApiProblems(401)
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<CategoryListResponse> {
    return { items: (await this.categories.list(caller.userId)).map(CategoryResponse.from) };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One category',
    description:
      'One of the caller\'s categories with its task count; another user\'s id answers 404, like an unknown one.',
  })
  @ApiOkResponse({ type: CategoryResponse })
  @ApiProblems(400, 401, 404)
  async get(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<CategoryResponse> {
    return CategoryResponse.from(await this.categories.get(caller.userId, id));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Rename or recolour a category',
    description:
      'Changes the fields given; only the owner may (a member gets 403 `forbidden`). A name another of the owner\'s categories already has (ignoring case) answers 409.',
  })
  @ApiOkResponse({ type: CategoryResponse })
  @ApiProblems(400, 401, 403, 404, 409, 415)
  async update(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @Body() body: UpdateCategoryDto,
  ): Promise<CategoryResponse> {
    return CategoryResponse.from(await this.categories.update(caller, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a category; its tasks stay, uncategorised',
    description:
      'Only the owner may (a member gets 403 `forbidden`). Its tasks keep existing with categoryId null, each private to its creator again: every other member loses access at once.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 403, 404)
  async remove(@CurrentActor() caller: RequestActor, @UuidParam() id: string): Promise<void> {
    await this.categories.remove(caller, id);
  }

  @Get(':id/activity')
  @ApiOperation({
    summary: 'The history of one category',
    description:
      'Newest first, keyset-paginated: pass `nextCursor` back as `cursor` with the same filters until it is null. Also for a deleted category, while its entries are kept (ACTIVITY_RETENTION, 90 days by default). ' +
      'A category the caller can no longer see (another user\'s, or one they left) answers 404, like an unknown one.',
  })
  @ApiOkResponse({ type: ActivityPageResponse })
  @ApiProblems(400, 401, 404)
  async activity(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Query() query: EntityActivityQuery): Promise<ActivityPageResponse> {
    if ((await this.categories.existingIds([id])).has(id) && (await this.categories.findMany(caller.userId, [id])).length === 0) {
      throw new NotFoundException('No such category.');
    }
    return this.activityLog.listForEntity(caller.userId, 'category', id, { ...query, limit: query.limit ?? DEFAULT_ACTIVITY_PAGE_SIZE });
  }
}
