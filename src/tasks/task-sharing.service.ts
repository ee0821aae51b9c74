import { Injectable } from '@nestjs/common';
import type { FieldChanges } from '../activity/activity.entity.js';
import { ActivityService } from '../activity/activity.service.js';
import { CategoryAccessService } from '../categories/category-access.service.js';
import { CategoryRemoving, MemberJoined, MemberLeaving } from '../categories/category-events.js';
import { OnDomainEvent } from '../database/unit-of-work.js';
import { AccountDeleting } from '../users/account-events.js';
import { TaskAccess } from './task-access.js';
import { TaskOwnershipChanges } from './task-ownership-changes.js';
import { TaskRepository } from './task.repository.js';

/**
 * What happens to tasks when who may see them changes, in the transaction of that change (the
 * categories and users modules publish it): each write recorded for everyone who saw the tasks
 * before, and access granted or revoked in the change feed of whoever gained or lost them.
 */
@Injectable()
export class TaskSharingService {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly changes: TaskOwnershipChanges,
    private readonly access: TaskAccess,
    private readonly categories: CategoryAccessService,
    private readonly activity: ActivityService,
  ) {}

  /**
   * A category being deleted leaves its tasks (trashed ones too) uncategorised and private to their
   * creators again, each with a new version and a `detach` entry for everyone who saw it, in the
   * deleting transaction: the other members lose sight of them.
   */
  @OnDomainEvent(CategoryRemoving)
  async detachFromRemovedCategory({ actor, categoryId, audience }: CategoryRemoving): Promise<void> {
    const tasks = await this.changes.findInCategory(categoryId);
    await this.changes.detach(tasks, new Date());
    const creators = tasks.flatMap((task) => (task.createdBy === null ? [] : [task.createdBy]));
    await this.activity.record(
      [...audience, ...creators],
      actor,
      tasks.map((task) => ({
        entityType: 'task',
        entityId: task.id,
        action: 'detach',
        changes: { categoryId: { from: categoryId, to: null }, ...(task.parent !== null && { parentId: { from: task.parent, to: null } }) },
      })),
    );
  }

  /** A new member's change feed gains every live task of the category. */
  @OnDomainEvent(MemberJoined)
  async shareWithNewMember({ actor, categoryId, userId }: MemberJoined): Promise<void> {
    const tasks = await this.changes.findLiveInCategory(categoryId);
    await this.activity.record(userId, actor, tasks.map((task) => ({ entityType: 'task', entityId: task.id, action: 'access_granted', changes: {} })));
  }

  /**
   * A departing member is unassigned from the category's tasks (recorded for everyone who sees
   * them), and their change feed loses every live task of it.
   */
  @OnDomainEvent(MemberLeaving)
  async unshareWithMember({ actor, categoryId, userId }: MemberLeaving): Promise<void> {
    const assigned = await this.changes.findAssignedInCategory(categoryId, userId);
    const person = (await this.tasks.findPeople([userId])).get(userId) ?? null;
    await this.changes.unassign(assigned, new Date());
    const ownerId = await this.categories.ownerOf(categoryId);
    await this.activity.record(
      [...(ownerId ? [ownerId] : []), ...(await this.categories.memberIds(categoryId))],
      actor,
      assigned.map((task) => ({ entityType: 'task', entityId: task.id, action: 'update', changes: { assignee: { from: person, to: null } } })),
    );
    const tasks = await this.changes.findLiveInCategory(categoryId);
    await this.activity.record(userId, actor, tasks.map((task) => ({ entityType: 'task', entityId: task.id, action: 'access_revoked', changes: {} })));
  }

  /**
   * A departing account: the tasks it created or was assigned in others' categories stay there,
   * handed to those categories' owners and unassigned; its own shared categories' tasks leave
   * their members' view. Recorded for everyone who sees them, by the server (no actor).
   */
  @OnDomainEvent(AccountDeleting)
  async handOverTasksOfDepartingAccount({ userId }: AccountDeleting): Promise<void> {
    const server = { userId: null, requestId: null };
    const touched = await this.changes.findTouchedBy(userId);
    const person = (await this.tasks.findPeople([userId])).get(userId) ?? null;
    await this.changes.handOver(touched, userId, new Date());
    for (const task of touched) {
      const changes: FieldChanges = task.assignee === userId ? { assignee: { from: person, to: null } } : {};
      await this.activity.record(await this.access.audience(task), server, [{ entityType: 'task', entityId: task.id, action: 'update', changes }]);
    }
    const filed = await this.changes.findLiveOwnedInCategories(userId);
    for (const categoryId of new Set(filed.map((task) => task.category!))) {
      const tasks = filed.filter((task) => task.category === categoryId);
      await this.activity.record(await this.categories.memberIds(categoryId), server, tasks.map((task) => ({ entityType: 'task', entityId: task.id, action: 'access_revoked', changes: {} })));
    }
  }
}
