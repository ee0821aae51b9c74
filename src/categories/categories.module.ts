import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { CategoriesController } from './categories.controller.js';
import { CategoriesService } from './categories.service.js';
import { CategoryAccessService } from './category-access.service.js';
import { CategoryInvitation } from './category-invitation.entity.js';
import { CategoryInvitationsController } from './category-invitations.controller.js';
import { CategoryMember } from './category-member.entity.js';
import { Category } from './category.entity.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsService } from './invitations.service.js';
import { MembersController } from './members.controller.js';
import { MembershipsService } from './memberships.service.js';

/** Categories and their sharing: members with roles, and the invitations that make them. */
@Module({
  imports: [MikroOrmModule.forFeature([Category, CategoryMember, CategoryInvitation]), ActivityModule],
  controllers: [CategoriesController, MembersController, CategoryInvitationsController, InvitationsController],
  providers: [CategoriesService, CategoryAccessService, InvitationsService, MembershipsService],
  exports: [CategoriesService, CategoryAccessService],
})
export class CategoriesModule {}
