import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { NoStore } from '../common/no-store.interceptor.js';
import { Origin, type RequestOrigin } from '../common/request-origin.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { CurrentUser } from './current-user.decorator.js';
import { SessionListResponse, SessionResponse } from './dto/session-response.dto.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@ApiBearerAuth(BEARER_SCHEME)
@NoStore()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's live sessions" })
  @ApiOkResponse({ type: SessionListResponse })
  @ApiProblems(401)
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<SessionListResponse> {
    const sessions = await this.sessions.listLive(caller.userId);
    return { items: sessions.map((session) => SessionResponse.from(session, caller.sessionId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of the caller\'s sessions' })
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
