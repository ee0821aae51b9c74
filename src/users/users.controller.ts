import { Body, Controller, Delete, Get, HttpCode, Patch, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ClientAddress } from '../common/client-address.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { BEARER_SCHEME } from '../openapi.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { DeleteAccountDto } from './dto/delete-account.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { UserResponse } from './dto/user-response.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: "The caller's account" })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(401)
  async get(@CurrentUser() caller: AuthenticatedUser): Promise<UserResponse> {
    return UserResponse.from(await this.users.getById(caller.userId));
  }

  @Patch()
  @ApiOperation({ summary: 'Change email, username or name' })
  @ApiOkResponse({ type: UserResponse })
  @ApiProblems(400, 401, 409)
  async update(@CurrentUser() caller: AuthenticatedUser, @Body() body: UpdateProfileDto): Promise<UserResponse> {
    return UserResponse.from(await this.users.updateProfile(caller.userId, body));
  }

  @Put('password')
  @HttpCode(204)
  @ApiOperation({ summary: 'Change the password; every other session is revoked' })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiProblems(400, 401, 429, 503)
  async changePassword(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: ChangePasswordDto,
    @ClientAddress() clientAddress: string,
  ): Promise<void> {
    await this.users.changePassword(caller.userId, caller.sessionId, body, clientAddress);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the account and everything it owns' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, 401, 429, 503)
  async delete(
    @CurrentUser() caller: AuthenticatedUser,
    @Body() body: DeleteAccountDto,
    @ClientAddress() clientAddress: string,
  ): Promise<void> {
    await this.users.deleteAccount(caller.userId, body.password, clientAddress);
  }
}
