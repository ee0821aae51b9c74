import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import { CategoryAccessService } from '../categories/category-access.service.js';
import type { RequestActor } from '../common/actor.js';
import { ID_TAKEN } from '../common/client-chosen-id.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { conflictFromUniqueViolation } from '../common/errors/unique-violation.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { Environment } from '../config/environment.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { newId } from '../database/uuid-primary-key.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import type { MoveTaskDto } from './dto/move-task.dto.js';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query.js';
import { TaskResponse, type TaskStatsResponse } from './dto/task-response.dto.js';
import type { UpdateTaskDto } from './dto/update-task.dto.js';
import { completedAtAfter, fieldChanges, taskValuesFrom } from './task-changes.js';
import { TaskAccess } from './task-access.js';
import { TaskHierarchy } from './task-hierarchy.js';
import { labelKeysOf } from './task-labels.js';
import { TaskPages } from './task-pages.js';
import { isPositionTaken, listOf, TaskPositions } from './task-positions.js';
import type { TaskRecord } from './task.entity.js';
import { sortSpec } from './task-sort.js';
import { countTaskStats } from './task-stats.query.js';
import { TaskWriter } from './task-writer.js';
import type { TaskFilters, TaskScope } from './task-list-conditions.js';
import { TaskRepository } from './task.repository.js';
import { isKnownTimeZone } from './time-zone.js';

const MAX_PLACE_ATTEMPTS = 3;

export interface TaskPage {
  items: TaskResponse[];
  nextCursor: string | null;
  total?: number;
}

/** A task as the change feed reports it to one user: live, trashed, or out of their sight. */
export type TaskState = { live: TaskResponse } | { trashed: true } | { invisible: true };

@Injectable()
export class TasksService {
  constructor(
    private readonly em: EntityManager,
    private readonly tasks: TaskRepository,
    private readonly pages: TaskPages,
    private readonly writer: TaskWriter,
    private readonly access: TaskAccess,
    private readonly categories: CategoryAccessService,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    private readonly positions: TaskPositions,
    private readonly hierarchy: TaskHierarchy,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(actor: RequestActor, input: CreateTaskDto): Promise<TaskResponse> {
    const placed = await this.access.place(actor.userId, taskValuesFrom(input));
    await this.hierarchy.check(actor.userId, placed.values);
    const { user: owner = actor.userId, ...values } = placed.values;
    const now = new Date();
    const status = values.status ?? 'pending';
    const task: Omit<TaskRecord, 'position'> = {
      id: input.id ?? newId(),
      user: owner,
      createdBy: actor.userId,
      assignee: values.assignee ?? null,
      title: input.title,
      description: values.description ?? null,
      status,
      priority: values.priority ?? 'medium',
      dueDate: values.dueDate ?? null,
      labels: values.labels ?? [],
      labelKeys: labelKeysOf(values.labels ?? []),
      recurrence: values.recurrence ?? null,
      category: values.category ?? null,
      parent: values.parent ?? null,
      completedAt: completedAtAfter(undefined, status, now),
      createdAt: now,
      updatedAt: now,
      version: 1,
      deletedAt: null,
    };
    const limit = this.environment.MAX_TASKS_PER_USER;
    const audience = placed.audience ?? [owner];
    const insert = () =>
      this.unitOfWork.run(async () => {
        const inserted = await this.tasks.insertWithinQuota(task, limit, () => this.positions.atEnd(listOf(task)));
        if (!inserted) {
          throw quotaExceeded(limit, 'tasks');
        }
        const response = TaskResponse.from({ ...task, ...inserted, subtasks: { total: 0, completed: 0 } });
        await this.activity.record(audience, actor, [
          { entityType: 'task', entityId: task.id, action: 'create', changes: fieldChanges(null, response) },
        ]);
        return response;
      });
    for (let attempt = 1; ; attempt++) {
      try {
        return await insert();
      } catch (error) {
        // A move took the last place in the list meanwhile (moves do not take the owner's lock).
        if (isPositionTaken(error) && attempt < MAX_PLACE_ATTEMPTS) {
          continue;
        }
        throw await this.conflictIfIdTaken(error, actor.userId, task.id);
      }
    }
  }

  /** A client-chosen id already in use: 409 naming the caller's own task, or saying nothing of another's. */
  private async conflictIfIdTaken(error: unknown, userId: string, taskId: string): Promise<unknown> {
    const conflict = conflictFromUniqueViolation(error, { tasks_pkey: ID_TAKEN });
    if (conflict === error) {
      return error;
    }
    const [own] = await this.tasks.findByIds(userId, [taskId]);
    if (!own?.readable) {
      return conflict;
    }
    const where = own.deletedAt === null ? `/api/v1/tasks/${taskId}` : `/api/v1/trash (restore it with POST /api/v1/tasks/${taskId}/restore)`;
    return new ApiProblemException(409, `You already have a task with this id: ${where}.`, {
      type: 'conflict',
      errors: [{ field: 'id', message: 'id is already one of your tasks' }],
      ...(own.deletedAt === null && { headers: { Location: `/api/v1/tasks/${taskId}` } }),
    });
  }

  /** A task the caller cannot read, or one in the trash, answers exactly like a missing one. */
  async get(userId: string, taskId: string): Promise<TaskResponse> {
    const task = await this.tasks.findLive(userId, taskId);
    if (!task) {
      throw new NotFoundException('No such task.');
    }
    return TaskResponse.from(task);
  }

  update(actor: RequestActor, taskId: string, changes: UpdateTaskDto, ifMatch?: string): Promise<TaskResponse> {
    return this.writer.apply(actor, taskId, ifMatch, 'update', this.findLive, async (current) => {
      const { values } = await this.access.place(actor.userId, taskValuesFrom(changes, current), current);
      await this.hierarchy.check(actor.userId, values, current);
      return values;
    });
  }

  /** completed -> pending, anything else -> completed (for a recurring task: on to its next due date). */
  toggle(actor: RequestActor, taskId: string, ifMatch?: string, skipMissed = false): Promise<TaskResponse> {
    return this.writer.apply(
      actor,
      taskId,
      ifMatch,
      'toggle',
      this.findLive,
      async (current) => ({ status: current.status === 'completed' ? 'pending' : 'completed' }),
      { skipMissed },
    );
  }

  /** Places the task after and/or before neighbours of its list: one row written, the others keep their keys. */
  move(actor: RequestActor, taskId: string, neighbours: MoveTaskDto, ifMatch?: string): Promise<TaskResponse> {
    if (neighbours.after === undefined && neighbours.before === undefined) {
      throw validationProblem([{ field: 'after', message: 'give after, before or both' }]);
    }
    return this.writer.apply(actor, taskId, ifMatch, 'move', this.findLive, async () => ({}), {
      placeInList: (current) => this.positions.between(taskId, listOf(current), neighbours),
    });
  }

  /** DELETE moves the task to the trash (TrashService restores or purges it). */
  async moveToTrash(actor: RequestActor, taskId: string, ifMatch?: string): Promise<void> {
    await this.writer.apply(actor, taskId, ifMatch, 'delete', this.findLive, async () => ({ deletedAt: new Date() }));
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
      assignee: assigneeFilter(userId, query.assignee),
      parentId: query.parentId === undefined ? undefined : query.parentId.toLowerCase() === 'none' ? null : query.parentId.toLowerCase(),
      labels: query.labels?.length ? { keys: [...new Set(labelKeysOf(query.labels))].toSorted(), match: query.labelMatch ?? 'any' } : undefined,
    };
    const sort = query.sort ?? '-createdAt';
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const scopeName = query.scope ?? 'all';
    const fingerprint = listFingerprint({ ...filters, sort, scope: scopeName });
    const after = query.cursor ? decodeCursor(query.cursor, fingerprint) : undefined;
    const scope = await this.scope(userId, scopeName, filters.categoryId);

    const rows = await this.pages.findPage(scope, filters, sortSpec(sort), after, limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(TaskResponse.from),
      nextCursor: rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursor_value, id: last.id }) : null,
      ...(query.includeTotal && { total: await this.pages.countMatching(scope, filters) }),
    };
  }

  /**
   * The walks a list takes: the caller's own tasks, and each category shared with them (only the
   * one asked for, when the list is filtered by a shared category).
   */
  async scope(userId: string, scope: TaskScopeName, categoryId?: string | null): Promise<TaskScope> {
    const shared = scope === 'own' || categoryId === null ? [] : await this.categories.sharedWith(userId);
    return {
      ownerId: scope === 'shared' ? undefined : userId,
      sharedCategoryIds: categoryId ? shared.filter((id) => id === categoryId) : shared,
    };
  }

  /**
   * The current state of these tasks as the user sees them, for the change feed: live (exactly as
   * GET answers it), trashed, or out of their sight; ids not in the map are gone for good.
   */
  async currentStates(userId: string, ids: string[]): Promise<Map<string, TaskState>> {
    const rows = await this.tasks.findByIds(userId, ids);
    return new Map(
      rows.map(({ readable, ...row }): [string, TaskState] => [
        row.id,
        !readable ? { invisible: true } : row.deletedAt === null ? { live: TaskResponse.from(row) } : { trashed: true },
      ]),
    );
  }

  /** Whether the task exists (live or trashed) and the user cannot read it: its history is not theirs to see. */
  async isHiddenFrom(userId: string, taskId: string): Promise<boolean> {
    const [task] = await this.tasks.findByIds(userId, [taskId]);
    return task !== undefined && !task.readable;
  }

  async stats(userId: string, timeZone = 'UTC', scopeName: TaskScopeName = 'all'): Promise<TaskStatsResponse> {
    if (!isKnownTimeZone(timeZone)) {
      throw validationProblem([{ field: 'tz', message: 'tz must be an IANA time zone such as Europe/Paris' }]);
    }
    const row = await countTaskStats(this.em, await this.scope(userId, scopeName), timeZone).catch((error: unknown) => {
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

  private readonly findLive = (userId: string, taskId: string) => this.tasks.findLive(userId, taskId);
}

export type TaskScopeName = 'own' | 'shared' | 'all';

/** `me`, `none` or a user id, as the repository filters by it. */
function assigneeFilter(userId: string, assignee: string | undefined): string | null | undefined {
  if (assignee === undefined) {
    return undefined;
  }
  const value = assignee.toLowerCase();
  return value === 'me' ? userId : value === 'none' ? null : value;
}
