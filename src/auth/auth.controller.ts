import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { NoStore } from '../common/no-store.interceptor.js';
import { Origin, type RequestOrigin } from '../common/request-origin.js';
import { RequestHeader } from '../common/request-header.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { RegistrationLimitGuard } from '../rate-limit/registration-limit.guard.js';
import { UserResponse } from '../users/dto/user-response.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { LoginResponse } from './dto/login-response.dto.js';
import { LoginDto } from './dto/login.dto.js';
import { RegisterDto } from './dto/register.dto.js';
import { LocalAuthGuard } from './local-auth.guard.js';
import { Public } from './public.decorator.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('auth')
@NoStore()
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
      'Public. Email and username must be unused (409 otherwise); the password is 8 to 128 characters and not a common one. Answers the account, never its password. ' +
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
      'Failed attempts are throttled (defaults, all configurable): 10 for one account from one address, 100 from one ' +
      'address across accounts, 100 for one account from every address, within 15 minutes; past a limit: 429 with Retry-After. ' +
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
  @ApiOperation({
    summary: 'Revoke the token making this request',
    description:
      'Ends the session of the bearer token sent: that token answers 401 from now on. Other sessions of the account stay valid.',
  })
  @ApiNoContentResponse({ description: 'The token no longer works' })
  @ApiProblems(400, 401)
  async logout(@CurrentUser() caller: AuthenticatedUser, @Origin() origin: RequestOrigin): Promise<void> {
    await this.sessions.revoke(caller.userId, caller.sessionId, origin, 'logout');
  }
}
