import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { BEARER_SCHEME } from '../openapi.js';
import { ChangesService } from './changes.service.js';
import { ChangesPageResponse } from './dto/change-response.dto.js';
import { ChangesQuery, DEFAULT_CHANGES_LIMIT } from './dto/changes.query.js';

@ApiTags('changes')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('changes')
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  @Get()
  @ApiOperation({
    summary: "Follow every change to the caller's tasks and categories",
    description:
      'To mirror the data: take a cursor (call without one), list tasks and categories, then call with the cursor again and again, applying each change (upsert: store `data`; delete: drop the entity) and keeping the new `cursor`. ' +
      'Changes come in commit order and none is skipped; an entity changed several times since the cursor appears once, with its state now. ' +
      'A cursor older than CHANGES_RETENTION (30 days by default) answers 410 `cursor-expired`: list again and take a fresh cursor. ' +
      'With `wait=N` (up to 30 s) an answer that would be empty is held until a change commits, at any instance, or N seconds pass; a user has at most 5 such waits at once (a sixth ends the oldest, empty).',
  })
  @ApiOkResponse({ type: ChangesPageResponse })
  @ApiProblems(400, 401, 410)
  follow(@CurrentUser() caller: AuthenticatedUser, @Query() query: ChangesQuery): Promise<ChangesPageResponse> {
    return this.changes.follow(caller.userId, query.cursor, query.limit ?? DEFAULT_CHANGES_LIMIT, query.cursor === undefined ? 0 : (query.wait ?? 0));
  }
}
