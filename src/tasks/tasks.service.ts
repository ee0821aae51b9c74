import { OptimisticLockError } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { CategoriesService } from '../categories/categories.service.js';
import { Category } from '../categories/category.entity.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { User } from '../users/user.entity.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query.js';
import { TaskResponse, type TaskStatsResponse } from './dto/task-response.dto.js';
import type { UpdateTaskDto } from './dto/update-task.dto.js';
import { decodeCursor, encodeCursor, listFingerprint } from './task-cursor.js';
import { ifMatchSatisfied, taskEtag } from './task-etag.js';
import { sortSpec } from './task-sort.js';
import { Task } from './task.entity.js';
import { TaskRepository, type TaskFilters } from './task.repository.js';
import { isKnownTimeZone } from './time-zone.js';

export interface TaskPage {
  items: TaskResponse[];
  nextCursor: string | null;
  total?: number;
}

/** Without If-Match a write that loses a race to another is re-applied on the fresh row. */
const MAX_WRITE_ATTEMPTS = 3;

const preconditionFailed = () =>
  new ApiProblemException(412, 'The task changed since you read it: fetch it again (If-Match is stale).', {
    type: 'precondition-failed',
  });

const unknownCategory = () =>
  validationProblem([{ field: 'categoryId', message: 'categoryId must be one of your categories' }]);

@Injectable()
export class TasksService {
  constructor(
    private readonly em: EntityManager,
    private readonly tasks: TaskRepository,
    private readonly categories: CategoriesService,
  ) {}

  async create(userId: string, input: CreateTaskDto): Promise<Task> {
    const task = new Task(this.em.getReference(User, userId), input.title);
    await this.applyChanges(userId, task, input);
    await this.em.persist(task).flush();
    return task;
  }

  /** Another user's task answers exactly like a missing one. */
  async get(userId: string, taskId: string): Promise<Task> {
    const task = await this.tasks.findOne({ id: taskId, user: userId });
    if (!task) {
      throw new NotFoundException('No such task.');
    }
    return task;
  }

  update(userId: string, taskId: string, changes: UpdateTaskDto, ifMatch?: string): Promise<Task> {
    return this.writeWithVersionCheck(userId, taskId, ifMatch, (task) => this.applyChanges(userId, task, changes));
  }

  /** completed -> pending, anything else -> completed. */
  toggle(userId: string, taskId: string, ifMatch?: string): Promise<Task> {
    return this.writeWithVersionCheck(userId, taskId, ifMatch, async (task) => {
      task.status = task.status === 'completed' ? 'pending' : 'completed';
    });
  }

  async remove(userId: string, taskId: string, ifMatch?: string): Promise<void> {
    const task = await this.get(userId, taskId);
    if (ifMatch === undefined) {
      await this.em.remove(task).flush();
      return;
    }
    if (!ifMatchSatisfied(ifMatch, taskEtag(task))) {
      throw preconditionFailed();
    }
    // The version in the WHERE clause makes check-and-delete one atomic step.
    const deleted = await this.tasks.nativeDelete({ id: taskId, user: userId, version: task.version });
    if (deleted === 0) {
      throw preconditionFailed();
    }
  }

  async list(userId: string, query: ListTasksQuery): Promise<TaskPage> {
    const filters: TaskFilters = {
      status: query.status?.toSorted(),
      priority: query.priority?.toSorted(),
      categoryId: query.categoryId === undefined ? undefined : query.categoryId.toLowerCase() === 'none' ? null : query.categoryId.toLowerCase(),
      dueBefore: query.dueBefore ? new Date(query.dueBefore) : undefined,
      dueAfter: query.dueAfter ? new Date(query.dueAfter) : undefined,
      overdue: query.overdue,
      q: query.q,
    };
    const sort = query.sort ?? '-createdAt';
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const fingerprint = listFingerprint({ ...filters, sort });
    const after = query.cursor ? decodeCursor(query.cursor, fingerprint) : undefined;

    const rows = await this.tasks.findPage(userId, filters, sortSpec(sort), after, limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursor_value, id: last.id }) : null;
    return {
      items: page.map(TaskResponse.fromRow),
      nextCursor,
      ...(query.includeTotal && { total: await this.tasks.countMatching(userId, filters) }),
    };
  }

  async stats(userId: string, timeZone = 'UTC'): Promise<TaskStatsResponse> {
    if (!isKnownTimeZone(timeZone)) {
      throw validationProblem([{ field: 'tz', message: 'tz must be an IANA time zone such as Europe/Paris' }]);
    }
    const row = await this.tasks.stats(userId, timeZone).catch((error: unknown) => {
      // Node's ICU and PostgreSQL's tzdata disagree on a few retired names (US/Pacific-New...).
      if (/time zone .* not recognized/i.test(String((error as { message?: unknown })?.message))) {
        throw validationProblem([{ field: 'tz', message: 'tz is not a time zone the database knows' }]);
      }
      throw error;
    });
    return {
      total: row.total,
      byStatus: { pending: row.pending, in_progress: row.in_progress, completed: row.completed },
      byPriority: { low: row.low, medium: row.medium, high: row.high },
      overdue: row.overdue,
      dueToday: row.due_today,
      completedLast7Days: row.completed_last_7_days,
    };
  }

  /**
   * The version check is the UPDATE's own WHERE clause (MikroORM optimistic locking), so of two
   * concurrent writes with the same If-Match exactly one wins and the other gets 412.
   */
  private async writeWithVersionCheck(
    userId: string,
    taskId: string,
    ifMatch: string | undefined,
    change: (task: Task) => Promise<void>,
  ): Promise<Task> {
    for (let attempt = 1; ; attempt++) {
      const task = await this.get(userId, taskId);
      if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, taskEtag(task))) {
        throw preconditionFailed();
      }
      await change(task);
      try {
        await this.em.flush();
        return task;
      } catch (error) {
        if (!(error instanceof OptimisticLockError)) {
          throw error;
        }
        if (ifMatch !== undefined) {
          throw preconditionFailed();
        }
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          // No precondition was sent, so not 412: a transient conflict, like a busy database.
          throw new ApiProblemException(503, 'The task is being changed by other requests; retry shortly.', {
            type: 'unavailable',
            headers: { 'Retry-After': '1' },
          });
        }
        this.em.clear();
      }
    }
  }

  private async applyChanges(userId: string, task: Task, changes: UpdateTaskDto): Promise<void> {
    if (changes.categoryId) {
      if (!(await this.categories.isOwnedBy(userId, changes.categoryId))) {
        throw unknownCategory();
      }
      task.category = this.em.getReference(Category, changes.categoryId);
    } else if (changes.categoryId === null) {
      task.category = null;
    }
    if (changes.title !== undefined) task.title = changes.title;
    if (changes.description !== undefined) task.description = changes.description;
    if (changes.status !== undefined) task.status = changes.status;
    if (changes.priority !== undefined) task.priority = changes.priority;
    if (changes.dueDate !== undefined) task.dueDate = changes.dueDate === null ? null : new Date(changes.dueDate);
  }
}
