import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { BEARER_SCHEME } from '../openapi.js';
import { DEFAULT_LABEL_PAGE_SIZE, LabelChangeResponse, LabelPageResponse, ListLabelsQuery, RenameLabelDto } from './dto/labels.dto.js';
import { LABEL_RULES } from './dto/task-fields.js';
import { LabelsService } from './labels.service.js';

const LABEL_NAME = { name: 'name', description: `A label in any spelling (${LABEL_RULES}), URL-encoded`, example: 'errands' };

@ApiTags('labels')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('labels')
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Get()
  @ApiOperation({
    summary: "The labels on the caller's own tasks, with counts",
    description:
      "Labels of the caller's live tasks (private ones and those in the caller's categories), in alphabetical order of their lower-case form, each with the spelling most of those tasks use. Keyset-paginated: pass `nextCursor` back as `cursor` until it is null.",
  })
  @ApiOkResponse({ type: LabelPageResponse })
  @ApiProblems(400, 401)
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListLabelsQuery): Promise<LabelPageResponse> {
    return this.labels.list(caller.userId, query.limit ?? DEFAULT_LABEL_PAGE_SIZE, query.cursor);
  }

  @Patch(':name')
  @ApiOperation({
    summary: "Rename a label on all the caller's own tasks",
    description:
      "In one transaction, every task of the caller carrying the label (in any spelling, trashed tasks too) gets the new name, merged with the new name where a task already has it; each changed task gets a new version and an `update` activity entry. Labels on tasks in others' categories are theirs to rename. 404 when none of the caller's tasks has it.",
  })
  @ApiParam(LABEL_NAME)
  @ApiOkResponse({ type: LabelChangeResponse })
  @ApiProblems(400, 401, 404, 413, 415)
  rename(@CurrentActor() caller: RequestActor, @Param('name') name: string, @Body() body: RenameLabelDto): Promise<LabelChangeResponse> {
    return this.labels.rename(caller, name, body.name);
  }

  @Delete(':name')
  @HttpCode(200)
  @ApiOperation({
    summary: "Remove a label from all the caller's own tasks",
    description: 'Like a rename, in one transaction with an `update` activity entry per changed task; the tasks themselves stay. 404 when none of the caller\'s tasks has it.',
  })
  @ApiParam(LABEL_NAME)
  @ApiOkResponse({ type: LabelChangeResponse })
  @ApiProblems(400, 401, 404)
  remove(@CurrentActor() caller: RequestActor, @Param('name') name: string): Promise<LabelChangeResponse> {
    return this.labels.remove(caller, name);
  }
}
