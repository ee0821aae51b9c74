import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { BEARER_SCHEME } from '../openapi.js';
import { ActivityService } from './activity.service.js';
import { ActivityPageResponse } from './dto/activity-response.dto.js';
import { DEFAULT_ACTIVITY_PAGE_SIZE, ListActivityQuery } from './dto/list-activity.query.js';

const PAGING =
  'Newest first, keyset-paginated: pass `nextCursor` back as `cursor` with the same filters until it is null. Entries are kept for ACTIVITY_RETENTION (90 days by default).';

@ApiTags('activity')
@ApiBearerAuth(BEARER_SCHEME)
@Controller()
export class ActivityController {
  constructor(private readonly activity: ActivityService) {}

  @Get('activity')
  @ApiOperation({
    summary: "Every change to the caller's tasks and categories",
    description: `Each entry names the actor, the entity, the action and the changed fields with their values before and after. ${PAGING}`,
  })
  @ApiOkResponse({ type: ActivityPageResponse })
  @ApiProblems(400, 401)
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListActivityQuery): Promise<ActivityPageResponse> {
    return this.activity.list(caller.userId, { ...query, limit: query.limit ?? DEFAULT_ACTIVITY_PAGE_SIZE });
  }
}
