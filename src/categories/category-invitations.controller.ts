import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { CreateInvitationDto, InvitationListResponse, InvitationResponse } from './dto/invitation.dto.js';
import { InvitationsService } from './invitations.service.js';

/** The owner's side of invitations: sending, listing and withdrawing them. */
@ApiTags('categories')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('categories/:id/invitations')
export class CategoryInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Invite a user to a category as editor or viewer',
    description:
      'Owner only (a member gets 403 `forbidden`). `login` is a username or an e-mail address; the answer is the same whether or not it names an account, ' +
      'and an address with no account yet is invited too (whoever registers with it sees the invitation). It expires 14 days later. ' +
      'Inviting oneself or a member is 400, a second pending invitation for the same person 409; members plus pending invitations are capped by MAX_MEMBERS_PER_CATEGORY (50 by default, 403 `quota-exceeded`).',
  })
  @ApiCreatedResponse({ type: InvitationResponse })
  @ApiProblems(400, 401, 403, 404, 409, 415)
  async create(@CurrentActor() caller: RequestActor, @UuidParam() id: string, @Body() body: CreateInvitationDto): Promise<InvitationResponse> {
    return InvitationResponse.from(await this.invitations.invite(caller, id, body));
  }

  @Get()
  @ApiOperation({ summary: "A category's pending invitations", description: 'Owner only, oldest first, each with the login as the owner typed it. Expired ones are gone.' })
  @ApiOkResponse({ type: InvitationListResponse })
  @ApiProblems(400, 401, 403, 404)
  async list(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<InvitationListResponse> {
    return { items: (await this.invitations.listForCategory(caller.userId, id)).map(InvitationResponse.from) };
  }

  @Delete(':invitationId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an invitation', description: 'Owner only; the invitee can no longer accept it.' })
  @ApiNoContentResponse({ description: 'Withdrawn' })
  @ApiProblems(400, 401, 403, 404)
  async withdraw(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string, @UuidParam('invitationId') invitationId: string): Promise<void> {
    await this.invitations.withdraw(caller.userId, id, invitationId);
  }
}
