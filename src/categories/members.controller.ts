import { Body, Controller, Delete, Get, HttpCode, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { MemberListResponse, MemberResponse, UpdateMemberDto } from './dto/member.dto.js';
import { MembershipsService } from './memberships.service.js';

@ApiTags('categories')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('categories/:id/members')
export class MembersController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get()
  @ApiOperation({
    summary: "Who shares a category, with each one's role",
    description: 'Any role may read it: the owner first (role `owner`), then editors and viewers by when they joined. No role on the category answers 404.',
  })
  @ApiOkResponse({ type: MemberListResponse })
  @ApiProblems(400, 401, 404)
  async list(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<MemberListResponse> {
    return { items: await this.memberships.list(caller.userId, id) };
  }

  @Patch(':userId')
  @ApiOperation({
    summary: "Change a member's role",
    description: "Owner only (a member gets 403 `forbidden`). The owner's own role cannot change (400); a user who is not a member answers 404.",
  })
  @ApiOkResponse({ type: MemberResponse })
  @ApiProblems(400, 401, 403, 404, 415)
  changeRole(
    @CurrentActor() caller: RequestActor,
    @UuidParam() id: string,
    @UuidParam('userId') userId: string,
    @Body() body: UpdateMemberDto,
  ): Promise<MemberResponse> {
    return this.memberships.changeRole(caller, id, userId, body.role);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a member, or leave a category',
    description:
      'The owner removes any member (not themself: 400, they delete the category instead); a member may remove only themself, which is leaving (anyone else: 403 `forbidden`). ' +
      'The member is unassigned from its tasks and stops seeing them at once.',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblems(400, 401, 403, 404)
  async remove(@CurrentActor() caller: RequestActor, @UuidParam() id: string, @UuidParam('userId') userId: string): Promise<void> {
    await this.memberships.remove(caller, id, userId);
  }
}
