import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { Trim } from '../../common/transforms.js';
import { UserSummary } from '../../users/dto/user-summary.dto.js';
import type { CategoryInvitation } from '../category-invitation.entity.js';
import { MEMBER_ROLES, type MemberRole } from './category-roles.js';
import { MemberRoleField } from './member.dto.js';

export class CreateInvitationDto {
  @ApiProperty({ minLength: 1, maxLength: 255, example: 'bob', description: 'A username or an e-mail address (one with no account yet is invited too)' })
  @Trim()
  @IsString()
  @CharLength(1, 255)
  login: string;

  @MemberRoleField()
  role: MemberRole;
}

/** An invitation as its category's owner sees it: with the login they typed. */
export class InvitationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  categoryId: string;

  @ApiProperty({ example: 'bob', description: 'As the owner typed it' })
  login: string;

  @ApiProperty({ enum: MEMBER_ROLES, example: 'editor' })
  role: MemberRole;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', description: 'Unaccepted by then, it is gone' })
  expiresAt: string;

  static from(invitation: CategoryInvitation): InvitationResponse {
    return {
      id: invitation.id,
      categoryId: invitation.category.id,
      login: invitation.login,
      role: invitation.role,
      createdAt: invitation.createdAt.toISOString(),
      expiresAt: invitation.expiresAt.toISOString(),
    };
  }
}

export class InvitationListResponse {
  @ApiProperty({ type: [InvitationResponse], description: 'Pending ones, oldest first' })
  items: InvitationResponse[];
}

export class InvitedCategory {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Work' })
  name: string;
}

/** An invitation as its invitee sees it: which category, from whom. */
export class ReceivedInvitationResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: InvitedCategory })
  category: InvitedCategory;

  @ApiProperty({ type: UserSummary, description: "The category's owner, who invited the caller" })
  invitedBy: UserSummary;

  @ApiProperty({ enum: MEMBER_ROLES, example: 'viewer' })
  role: MemberRole;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export class ReceivedInvitationListResponse {
  @ApiProperty({ type: [ReceivedInvitationResponse], description: 'Pending ones, newest first' })
  items: ReceivedInvitationResponse[];
}
