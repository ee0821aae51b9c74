import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import type { RequestActor } from '../common/actor.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { forbiddenRole } from '../common/errors/forbidden-role.js';
import { OnDomainEvent, UnitOfWork } from '../database/unit-of-work.js';
import { AccountDeleting } from '../users/account-events.js';
import { UserSummary } from '../users/dto/user-summary.dto.js';
import { User } from '../users/user.entity.js';
import { CategoryAccessService } from './category-access.service.js';
import { MemberLeaving } from './category-events.js';
import { CategoryMember } from './category-member.entity.js';
import type { MemberRole } from './dto/category-roles.js';
import { Category } from './category.entity.js';
import type { MemberResponse } from './dto/member.dto.js';

/** A category's members: listed by anyone with a role, re-roled and removed by the owner, left by themselves. */
@Injectable()
export class MembershipsService {
  constructor(
    private readonly em: EntityManager,
    private readonly access: CategoryAccessService,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The owner first (joined when the category was created), then the members by when they joined. */
  async list(userId: string, categoryId: string): Promise<MemberResponse[]> {
    await this.access.require(userId, categoryId, 'viewer', 'see its members');
    const category = await this.em.findOneOrFail(Category, categoryId, { fields: ['user', 'createdAt'], disableIdentityMap: true });
    const members = await this.em.find(CategoryMember, { category: categoryId }, { orderBy: [{ createdAt: 'asc' }, { user: 'asc' }], disableIdentityMap: true });
    const summaries = await this.summaries([category.user.id, ...members.map((member) => member.user.id)]);
    return [
      { user: summaries.get(category.user.id)!, role: 'owner', joinedAt: category.createdAt.toISOString() },
      ...members.map((member) => ({ user: summaries.get(member.user.id)!, role: member.role, joinedAt: member.createdAt.toISOString() })),
    ];
  }

  async changeRole(actor: RequestActor, categoryId: string, userId: string, role: MemberRole): Promise<MemberResponse> {
    return this.unitOfWork.run(async (em) => {
      await this.access.require(actor.userId, categoryId, 'owner', 'change the roles of its members');
      if (userId === actor.userId) {
        throw validationProblem([{ field: 'userId', message: "The owner's role cannot be changed." }]);
      }
      const member = await this.findMemberOrFail(categoryId, userId);
      const user = (await this.summaries([userId])).get(userId)!;
      const from = member.role;
      if (from !== role) {
        member.role = role;
        await em.flush();
        await this.activity.record(await this.access.audience(categoryId), actor, [
          { entityType: 'category', entityId: categoryId, action: 'member_role', changes: { member: { from: { id: user.id, username: user.username, role: from }, to: { id: user.id, username: user.username, role } } } },
        ]);
      }
      return { user, role, joinedAt: member.createdAt.toISOString() };
    });
  }

  /** The owner removes a member; a member removes only themself (leaves). */
  async remove(actor: RequestActor, categoryId: string, userId: string): Promise<void> {
    await this.unitOfWork.run(async (em) => {
      const role = await this.access.require(actor.userId, categoryId, 'viewer', 'see its members');
      if (role === 'owner' && userId === actor.userId) {
        throw validationProblem([{ field: 'userId', message: 'The owner cannot leave their own category; delete it instead.' }]);
      }
      if (role !== 'owner' && userId !== actor.userId) {
        throw forbiddenRole('owner', 'remove other members');
      }
      const member = await this.findMemberOrFail(categoryId, userId);
      const user = (await this.summaries([userId])).get(userId)!;
      // The leaving user is still in the audience: their stream records that they left.
      const audience = await this.access.audience(categoryId);
      // The whole audience's streams first, in sorted order, as task writes take them (no deadlock).
      await this.activity.record(audience, actor, [
        { entityType: 'category', entityId: categoryId, action: 'member_remove', changes: { member: { from: { id: user.id, username: user.username, role: member.role }, to: null } } },
      ]);
      await this.unitOfWork.publish(new MemberLeaving(actor, categoryId, userId));
      em.remove(member);
      await em.flush();
    });
  }

  /**
   * The departing account's categories go with it: each member's change feed is told the category
   * is gone from their view (the tasks module does the same for its tasks), in the deleting transaction.
   */
  @OnDomainEvent(AccountDeleting)
  async revokeOwnedCategories({ userId }: AccountDeleting): Promise<void> {
    const memberships = await this.em.find(CategoryMember, { category: { user: userId } }, { fields: ['category', 'user'], disableIdentityMap: true });
    for (const membership of memberships) {
      await this.activity.record(membership.user.id, { userId: null, requestId: null }, [
        { entityType: 'category', entityId: membership.category.id, action: 'access_revoked', changes: {} },
      ]);
    }
  }

  private async findMemberOrFail(categoryId: string, userId: string): Promise<CategoryMember> {
    const member = await this.em.findOne(CategoryMember, { category: categoryId, user: userId });
    if (!member) {
      throw new NotFoundException('No such member.');
    }
    return member;
  }

  private async summaries(userIds: string[]): Promise<Map<string, UserSummary>> {
    const users = await this.em.find(User, { id: { $in: userIds } }, { fields: ['id', 'username', 'name'], disableIdentityMap: true });
    return new Map(users.map((user) => [user.id, UserSummary.from(user)]));
  }
}
