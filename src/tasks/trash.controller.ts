import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { RequestHeader } from '../common/request-header.decorator.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { ListTrashQuery } from './dto/list-trash.query.js';
import { TaskPageResponse } from './dto/task-response.dto.js';
import { DEFAULT_PAGE_SIZE } from './dto/list-tasks.query.js';
import { TrashService } from './trash.service.js';

@ApiTags('trash')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('trash')
export class TrashController {
  constructor(private readonly trash: TrashService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's trashed tasks, most recently trashed first",
    description:
      'Each task as it was, with `deletedAt`. Keyset-paginated: pass `nextCursor` back as `cursor` until it is null. Tasks stay here for TRASH_RETENTION (30 days by default), then are deleted for good; trashed tasks count towards the task quota until then.',
  })
  @ApiOkResponse({ type: TaskPageResponse })
  @ApiProblems(400, 401)
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListTrashQuery): Promise<TaskPageResponse> {
    return this.trash.list(caller.userId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a trashed task for good',
    description:
      "Only a task in the caller's trash (404 otherwise); with If-Match only if it still has that ETag (412 otherwise). Its activity entries remain until ACTIVITY_RETENTION.",
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag from the trash listing: delete only if unchanged (else 412)' })
  @ApiNoContentResponse({ description: 'Deleted for good' })
  @ApiProblems(400, 401, 403, 404, 412)
  async purge(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @RequestHeader('if-match') ifMatch?: string,
  ): Promise<void> {
    await this.trash.purge(caller, id, ifMatch);
  }
}
