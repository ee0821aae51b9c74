import { Controller, Delete, Get, HttpCode, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { NoStore } from '../common/no-store.interceptor.js';
import { Origin, type RequestOrigin } from '../common/request-origin.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { DEFAULT_SESSIONS_PAGE_SIZE, ListSessionsQuery } from './dto/list-sessions.query.js';
import { SessionListResponse, SessionResponse } from './dto/session-response.dto.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@ApiBearerAuth(BEARER_SCHEME)
@NoStore()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's live sessions",
    description:
      'The sessions of the caller that still work, the current one flagged, each with its user agent and when it was last used.',
  })
  @ApiOkResponse({ type: SessionListResponse })
  @ApiProblems(400, 401)
  async list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListSessionsQuery): Promise<SessionListResponse> {
    const page = await this.sessions.listLive(caller.userId, query.limit ?? DEFAULT_SESSIONS_PAGE_SIZE, query.cursor);
    return { items: page.items.map((row) => SessionResponse.fromRow(row, caller.sessionId)), nextCursor: page.nextCursor };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke one of the caller\'s sessions',
    description:
      'The token of that session stops working at once. Another user\'s session id answers 404, exactly like an unknown one.',
  })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(400, 401, 404)
  async revoke(
    @CurrentUser() caller: AuthenticatedUser,
    @UuidParam() id: string,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.sessions.revoke(caller.userId, id, origin, 'revoked');
  }
}
