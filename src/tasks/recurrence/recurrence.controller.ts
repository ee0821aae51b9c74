import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../../common/authenticated-user.js';
import { CurrentUser } from '../../common/current-user.decorator.js';
import { ApiProblems } from '../../common/errors/problem.schema.js';
import { UuidParam } from '../../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../../openapi.js';
import { DEFAULT_OCCURRENCES_PAGE_SIZE, DEFAULT_UPCOMING, ListOccurrencesQuery, OccurrencePageResponse, UpcomingQuery, UpcomingResponse } from '../dto/recurrence.dto.js';
import { RecurrenceService } from './recurrence.service.js';

/** The history and the future of a recurring task; anyone who may read the task may read these. */
@ApiTags('tasks')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('tasks')
export class RecurrenceController {
  constructor(private readonly recurrence: RecurrenceService) {}

  @Get(':id/occurrences')
  @ApiOperation({
    summary: "A recurring task's completed occurrences, most recently completed first",
    description:
      'Each with the due date it had and when it was completed, recorded when completing the task moved it on to its next due date. ' +
      'Keyset-paginated: pass `nextCursor` back as `cursor` until it is null. The newest 1000 per task are kept.',
  })
  @ApiOkResponse({ type: OccurrencePageResponse })
  @ApiProblems(400, 401, 404)
  occurrences(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Query() query: ListOccurrencesQuery): Promise<OccurrencePageResponse> {
    return this.recurrence.occurrences(caller.userId, id, query.limit ?? DEFAULT_OCCURRENCES_PAGE_SIZE, query.cursor);
  }

  @Get(':id/upcoming')
  @ApiOperation({
    summary: 'The next due dates of a task, without changing it',
    description:
      'The current due date, then those its recurrence gives after it, each occurrence taken as completed on time (for `repeatFrom: completion` too). ' +
      'A task that does not recur has only its due date; a completed one, or one without a due date, none.',
  })
  @ApiOkResponse({ type: UpcomingResponse })
  @ApiProblems(400, 401, 404)
  upcoming(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @Query() query: UpcomingQuery): Promise<UpcomingResponse> {
    return this.recurrence.upcoming(caller.userId, id, query.count ?? DEFAULT_UPCOMING);
  }
}
