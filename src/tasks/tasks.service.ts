import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import { CategoriesService } from '../categories/categories.service.js';
import { CategoryRemoving } from '../categories/category-events.js';
import type { RequestActor } from '../common/actor.js';
import { ID_TAKEN } from '../common/client-chosen-id.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { conflictFromUniqueViolation } from '../common/errors/unique-violation.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { Environment } from '../config/environment.js';
import { OnDomainEvent, UnitOfWork } from '../database/unit-of-work.js';
import { newId } from '../database/uuid-primary-key.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query.js';
import { TaskResponse, type TaskStatsResponse } from './dto/task-response.dto.js';
import type { UpdateTaskDto } from './dto/update-task.dto.js';
import { completedAtAfter, fieldChanges, taskValuesFrom } from './task-changes.js';
import type { TaskRecord, TaskValues } from './task.entity.js';
import { sortSpec } from './task-sort.js';
import { countTaskStats } from './task-stats.query.js';
import { TaskWriter } from './task-writer.js';
import { TaskRepository, type TaskFilters } from './task.repository.js';
import { isKnownTimeZone } from './time-zone.js';

export interface TaskPage {
  items: TaskResponse[];
  nextCursor: string | null;
  total?: number;
}

export type TaskState = { live: TaskResponse } | { trashed: true };

const unknownCategory = () =>
  validationProblem([{ field: 'categoryId', message: 'categoryId must be one of your categories' }]);

@Injectable()
export class TasksService {
  constructor(
    private readonly em: EntityManager,
    private readonly tasks: TaskRepository,
    private readonly writer: TaskWriter,
    private readonly categories: CategoriesService,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(actor: RequestActor, input: CreateTaskDto): Promise<TaskResponse> {
    const values = await this.ownedValues(actor.userId, input);
    const now = new Date();
    const status = values.status ?? 'pending';
    const task: TaskRecord = {
      id: input.id ?? newId(),
      user: actor.userId,
      title: input.title,
      description: values.description ?? null,
      status,
      priority: values.priority ?? 'medium',
      dueDate: values.dueDate ?? null,
      category: values.category ?? null,
      completedAt: completedAtAfter(undefined, status, now),
      createdAt: now,
      updatedAt: now,
      version: 1,
      deletedAt: null,
    };
    const response = TaskResponse.from(task);
    const limit = this.environment.MAX_TASKS_PER_USER;
    await this.unitOfWork
      .run(async () => {
        if (!(await this.tasks.insertWithinQuota(task, limit))) {
          throw quotaExceeded(limit, 'tasks');
        }
        await this.activity.record(actor.userId, actor, [
          { entityType: 'task', entityId: task.id, action: 'create', changes: fieldChanges(null, response) },
        ]);
      })
      .catch(async (error: unknown) => {
        throw await this.conflictIfIdTaken(error, actor.userId, task.id);
      });
    return response;
  }

  /** A client-chosen id already in use: 409 naming the caller's own task, or saying nothing of another's. */
  private async conflictIfIdTaken(error: unknown, userId: string, taskId: string): Promise<unknown> {
    const conflict = conflictFromUniqueViolation(error, { tasks_pkey: ID_TAKEN });
    if (conflict === error) {
      return error;
    }
    const [own] = await this.tasks.findByIds(userId, [taskId]);
    if (!own) {
      return conflict;
    }
    const where = own.deletedAt === null ? `/api/v1/tasks/${taskId}` : `/api/v1/trash (restore it with POST /api/v1/tasks/${taskId}/restore)`;
    return new ApiProblemException(409, `You already have a task with this id: ${where}.`, {
      type: 'conflict',
      errors: [{ field: 'id', message: 'id is already one of your tasks' }],
      ...(own.deletedAt === null && { headers: { Location: `/api/v1/tasks/${taskId}` } }),
    });
  }

  /** Another user's task, or one in the trash, answers exactly like a missing one. */
  async get(userId: string, taskId: string): Promise<TaskResponse> {
    const task = await this.tasks.findLive(userId, taskId);
    if (!task) {
      throw new NotFoundException('No such task.');
    }
    return TaskResponse.from(task);
  }

  update(actor: RequestActor, taskId: string, changes: UpdateTaskDto, ifMatch?: string): Promise<TaskResponse> {
    return this.writer.apply(actor, taskId, ifMatch, 'update', this.findLive, () => this.ownedValues(actor.userId, changes));
  }

  /** completed -> pending, anything else -> completed. */
  toggle(actor: RequestActor, taskId: string, ifMatch?: string): Promise<TaskResponse> {
    return this.writer.apply(actor, taskId, ifMatch, 'toggle', this.findLive, async (current) => ({
      status: current.status === 'completed' ? 'pending' : 'completed',
    }));
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
    };
    const sort = query.sort ?? '-createdAt';
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const fingerprint = listFingerprint({ ...filters, sort });
    const after = query.cursor ? decodeCursor(query.cursor, fingerprint) : undefined;

    const rows = await this.tasks.findPage(userId, filters, sortSpec(sort), after, limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(TaskResponse.from),
      nextCursor: rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursorValue, id: last.id }) : null,
      ...(query.includeTotal && { total: await this.tasks.countMatching(userId, filters) }),
    };
  }

  /**
   * The current state of the owner's tasks among `ids`, for the change feed: each one live (with
   * its representation, exactly as GET answers it) or trashed; ids not in the map are gone.
   */
  async currentStates(userId: string, ids: string[]): Promise<Map<string, TaskState>> {
    const rows = await this.tasks.findByIds(userId, ids);
    return new Map(rows.map((row): [string, TaskState] => [row.id, row.deletedAt === null ? { live: TaskResponse.from(row) } : { trashed: true }]));
  }

  async stats(userId: string, timeZone = 'UTC'): Promise<TaskStatsResponse> {
    if (!isKnownTimeZone(timeZone)) {
      throw validationProblem([{ field: 'tz', message: 'tz must be an IANA time zone such as Europe/Paris' }]);
    }
    const row = await countTaskStats(this.em, userId, timeZone).catch((error: unknown) => {
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
   * A category being deleted leaves its tasks (trashed ones too) uncategorised, each with a new
   * version and a `detach` entry, in the deleting transaction.
   */
  @OnDomainEvent(CategoryRemoving)
  async detachFromRemovedCategory({ actor, categoryId }: CategoryRemoving): Promise<void> {
    const tasks = await this.tasks.findInCategory(actor.userId, categoryId);
    await this.tasks.detach(actor.userId, tasks, new Date());
    await this.activity.record(
      actor.userId,
      actor,
      tasks.map((task) => ({ entityType: 'task', entityId: task.id, action: 'detach', changes: { categoryId: { from: categoryId, to: null } } })),
    );
  }

  private readonly findLive = (userId: string, taskId: string) => this.tasks.findLive(userId, taskId);

  /** The body's values, once its category (if any) is known to be the caller's. */
  private async ownedValues(userId: string, input: UpdateTaskDto): Promise<TaskValues> {
    if (input.categoryId && !(await this.categories.isOwnedBy(userId, input.categoryId))) {
      throw unknownCategory();
    }
    return taskValuesFrom(input);
  }
}
