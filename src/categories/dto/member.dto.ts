import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { UserSummary } from '../../users/dto/user-summary.dto.js';
import { CATEGORY_ROLES, MEMBER_ROLES, type CategoryRole, type MemberRole } from './category-roles.js';

/** The role an invitation or a member update grants: never `owner`. */
export const MemberRoleField = () =>
  applyDecorators(
    ApiProperty({ enum: MEMBER_ROLES, example: 'editor', description: 'editor: reads and writes the tasks; viewer: reads them' }),
    IsIn(MEMBER_ROLES, { message: `role must be one of ${MEMBER_ROLES.join(', ')}` }),
  );

export class UpdateMemberDto {
  @MemberRoleField()
  role: MemberRole;
}

export class MemberResponse {
  @ApiProperty({ type: UserSummary })
  user: UserSummary;

  @ApiProperty({ enum: CATEGORY_ROLES, example: 'viewer' })
  role: CategoryRole;

  @ApiProperty({ format: 'date-time', description: "When they joined (the owner: when the category was created)" })
  joinedAt: string;
}

export class MemberListResponse {
  @ApiProperty({ type: [MemberResponse], description: 'The owner first, then members by when they joined' })
  items: MemberResponse[];
}
