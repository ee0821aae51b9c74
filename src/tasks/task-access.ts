import { Inject, Injectable } from '@nestjs/common';
import { CategoryAccessService } from '../categories/category-access.service.js';
import { roleAtLeast } from '../categories/dto/category-roles.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { forbiddenRole } from '../common/errors/forbidden-role.js';
import { Environment } from '../config/environment.js';
import type { TaskRow, TaskValues } from './task.entity.js';
import type { ReadableTask } from './task.repository.js';

const unknownCategory = () =>
  validationProblem([{ field: 'categoryId', message: 'categoryId must be one of your categories or one shared with you' }]);

const unknownAssignee = () =>
  validationProblem([{ field: 'assigneeId', message: "assigneeId must be the owner or a member of the task's category (for a task in no category, its owner)" }]);

/**
 * Who may do what to a task, in one place: the owner (of the task, i.e. of its category) does
 * anything; a member of its category reads it, and writes it as an editor; nobody else sees it.
 * A task's owner follows its category: moving it into a shared category hands it to that
 * category's owner, moving it out to no category gives it back to its creator.
 */
@Injectable()
export class TaskAccess {
  constructor(
    private readonly categories: CategoryAccessService,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  /** Whether the caller owns the task or edits its category. */
  canEdit(userId: string, task: ReadableTask): boolean {
    return task.user === userId || task.memberRole === 'editor';
  }

  /** 403 unless the caller owns the task or edits its category (they can read it already). */
  assertCanEdit(userId: string, task: ReadableTask): void {
    if (!this.canEdit(userId, task)) {
      throw forbiddenRole('editor', 'change its tasks');
    }
  }

  /** Everyone whose stream records a change to the task: its owner and its category's members. */
  async audience(task: { user: string; category: string | null }): Promise<string[]> {
    return task.category === null ? [task.user] : [task.user, ...(await this.categories.memberIds(task.category))];
  }

  /**
   * The values a create (`current` undefined) or update writes once the category and the assignee
   * are known to be allowed, with the new owner when the task changes hands, and who sees the
   * task afterwards when that was read on the way (a create or a move). An assignee who could not
   * stay (moved to a category they are not in) is unassigned.
   */
  async place(
    userId: string,
    values: TaskValues,
    current?: TaskRow & { createdBy: { id: string } | null },
  ): Promise<{ values: TaskValues & { user?: string }; audience?: string[] }> {
    const moving = values.category !== undefined && values.category !== (current?.category ?? null);
    const category = moving ? values.category! : (current?.category ?? null);
    const creator = current ? (current.createdBy?.id ?? current.user) : userId;
    // The people of the category the task ends up in, read once when anything needs them.
    const people = category !== null && (moving || values.assignee !== undefined || !current) ? await this.categories.people(category) : undefined;
    let owner = current ? current.user : userId;
    if (moving) {
      if (values.category === null) {
        owner = creator;
      } else {
        const role = people?.roleOf(userId) ?? null;
        if (role === null) {
          throw unknownCategory();
        }
        if (!roleAtLeast(role, 'editor')) {
          throw forbiddenRole('editor', 'file tasks in it');
        }
        owner = people!.ownerId;
      }
    }
    const allowed = category === null ? [owner] : people?.everyone;
    const placed: TaskValues & { user?: string } = { ...values };
    if (values.assignee !== undefined && values.assignee !== null && !allowed!.includes(values.assignee)) {
      throw unknownAssignee();
    }
    const assignee = current?.assignee?.id ?? null;
    if (moving && values.assignee === undefined && assignee !== null && !allowed!.includes(assignee)) {
      placed.assignee = null;
    }
    if (!current || owner !== current.user) {
      placed.user = owner;
    }
    return { values: placed, audience: category === null ? [owner] : people?.everyone };
  }

  get maxTasks(): number {
    return this.environment.MAX_TASKS_PER_USER;
  }
}
