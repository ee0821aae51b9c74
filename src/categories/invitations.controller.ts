import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type RequestActor } from '../common/actor.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { CurrentUser } from '../common/current-user.decorator.js';
import { ApiProblems } from '../common/errors/problem.schema.js';
import { UuidParam } from '../common/uuid-param.decorator.js';
import { BEARER_SCHEME } from '../openapi.js';
import { CategoryResponse } from './dto/category-response.dto.js';
import { ReceivedInvitationListResponse } from './dto/invitation.dto.js';
import { InvitationsService } from './invitations.service.js';

/** The invitee's side of invitations: the ones addressed to the caller, accepted or declined. */
@ApiTags('categories')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @ApiOperation({
    summary: 'Invitations addressed to the caller',
    description: "Pending ones, newest first, sent to the caller's username or to their e-mail address: each with the category, who sent it and the role offered.",
  })
  @ApiOkResponse({ type: ReceivedInvitationListResponse })
  @ApiProblems(401)
  async list(@CurrentUser() caller: AuthenticatedUser): Promise<ReceivedInvitationListResponse> {
    return { items: await this.invitations.listReceived(caller.userId) };
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Accept an invitation: join the category',
    description:
      'The caller becomes a member with the role offered and answers the category as they now see it. An invitation not addressed to the caller, expired or withdrawn answers 404; ' +
      'past MAX_SHARED_CATEGORIES_PER_USER memberships (200 by default), 403 `quota-exceeded`.',
  })
  @ApiOkResponse({ type: CategoryResponse })
  @ApiProblems(400, 401, 403, 404)
  async accept(@CurrentActor() caller: RequestActor, @UuidParam() id: string): Promise<CategoryResponse> {
    return CategoryResponse.from(await this.invitations.accept(caller, id));
  }

  @Post(':id/decline')
  @HttpCode(204)
  @ApiOperation({ summary: 'Decline an invitation', description: 'Deletes it; the owner may invite again. One not addressed to the caller answers 404.' })
  @ApiNoContentResponse({ description: 'Declined' })
  @ApiProblems(400, 401, 404)
  async decline(@CurrentUser() caller: AuthenticatedUser, @UuidParam() id: string): Promise<void> {
    await this.invitations.decline(caller.userId, id);
  }
}
