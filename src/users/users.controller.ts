import { Body, Controller, Delete, Get, HttpCode, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { NoStore } from '../common/no-store.interceptor.js';
import { Origin, type RequestOrigin } from '../common/request-origin.js';
import { BEARER_SCHEME } from '../openapi.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { DeleteAccountDto } from './dto/delete-account.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { UserResponse } from './dto/user-response.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth(BEARER_SCHEME)
@NoStore()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's account",
    description:
      'The account of the bearer token\'s owner, never its password hash.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(401)
  async get(@CurrentUser() caller: AuthenticatedUser): Promise<UserResponse> {
    return UserResponse.from(await this.users.getById(caller.userId));
  }

  @Patch()
  @ApiOperation({
    summary: 'Change email, username or name',
    description:
      'Changes the fields given; an email or username another account holds answers 409. ' +
      'Changing email or username (other than its letter case) needs `currentPassword`: missing or wrong, 400 naming it. ' +
      'Wrong passwords count against the login throttle: past its limits, 429 with Retry-After.',
  })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(400, 401, 409, 415, 429)
  async update(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: UpdateProfileDto,
    @Origin() origin: RequestOrigin,
  ): Promise<UserResponse> {
    return UserResponse.from(await this.users.updateProfile(caller.userId, body, origin));
  }

  @Put('password')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Change the password; every other session is revoked',
    description:
      'Needs the current password; wrong guesses count against the login throttle (429 past it). Every other session of the account ends; the one making this request stays.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblems(400, 401, 415, 429, 503)
  async changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.users.changePassword(caller.userId, caller.sessionId, body, origin);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete the account and everything it owns',
    description:
      'Needs the current password (wrong guesses count against the login throttle). Deletes the account with its tasks, categories and sessions.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 415, 429, 503)
  async delete(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: DeleteAccountDto,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    await this.users.deleteAccount(caller.userId, body.password, origin);
  }
}
