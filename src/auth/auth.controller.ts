import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { RequestHeader } from '../common/request-header.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { RegistrationLimitGuard } from '../rate-limit/registration-limit.guard.js';
import { UserResponse } from '../users/dto/user-response.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { CurrentUser } from './current-user.decorator.js';
import { LoginResponse } from './dto/login-response.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { LocalAuthGuard } from './local-auth.guard.js';
import { Public } from './public.decorator.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Public()
  @Post('register')
  @UseGuards(RegistrationLimitGuard)
  @ApiOperation({
    summary: 'Create an account',
    description:
      'At most REGISTER_LIMIT_PER_HOUR (default 20) attempts per client address per hour: past it, 429. ' +
      'While too many passwords are being hashed: 503 (`server-busy`) with Retry-After.',
  })
  @ApiCreatedResponse({ type: UserResponse })
  @ApiProblems(400, 409, 413, 415, 429, 503)
  async register(@Body() body: RegisterDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.register(body));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(LocalAuthGuard)
  @ApiOperation({
    summary: 'Log in with email or username; returns a bearer token',
    description:
      'After 10 failed attempts for one account or from one address within 15 minutes: 429. ' +
      'While too many passwords are being checked: 503 (`server-busy`) with Retry-After.',
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: LoginResponse })
  @ApiProblems(400, 401, 429, 503)
  async login(
    @Req() request: FastifyRequest & { user: User },
    @RequestHeader('user-agent') userAgent?: string,
  ): Promise<LoginResponse> {
    const { token, session } = await this.sessions.start(request.user, userAgent);
    return {
      accessToken: token,
      tokenType: 'Bearer',
      expiresAt: session.expiresAt.toISOString(),
      user: UserResponse.from(request.user),
    };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth(BEARER_SCHEME)
  @ApiOperation({ summary: 'Revoke the token making this request' })
  @ApiNoContentResponse({ description: 'The token no longer works' })
  @ApiProblems(401)
  async logout(@CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.sessions.revoke(caller.userId, caller.sessionId);
  }
}
