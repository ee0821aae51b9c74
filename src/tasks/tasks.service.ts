import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CategoriesService } from '../categories/categories.service.js';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { Environment } from '../config/environment.js';
import { newId } from '../database/uuid-primary-key.js';
import type { CreateTaskDto } from './dto/create-task.dto.js';
import { DEFAULT_PAGE_SIZE, type ListTasksQuery } from './dto/list-tasks.query.js';
import { TaskResponse, type TaskStatsResponse } from './dto/task-response.dto.js';
import type { UpdateTaskDto } from './dto/update-task.dto.js';
import { changedColumns, columnValuesFrom, completedAtChange } from './task-changes.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { ifMatchSatisfied, taskEtag } from './task-etag.js';
import { sortSpec } from './task-sort.js';
import type { TaskColumnValues } from './task-sql.js';
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
    private readonly tasks: TaskRepository,
    private readonly categories: CategoriesService,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(userId: string, input: CreateTaskDto): Promise<TaskResponse> {
    const values = { ...(await this.ownedColumnValues(userId, input)), title: input.title };
    const limit = this.environment.MAX_TASKS_PER_USER;
    const row = await this.tasks.insertRow(newId(), userId, values, completedAtChange(null, values.status), limit);
    if (!row) {
      throw quotaExceeded(limit, 'tasks');
    }
    return TaskResponse.fromRow(row);
  }

  /** Another user's task answers exactly like a missing one. */
  async get(userId: string, taskId: string): Promise<TaskResponse> {
    const row = await this.tasks.findRow(userId, taskId);
    if (!row) {
      throw new NotFoundException('No such task.');
    }
    return TaskResponse.fromRow(row);
  }

  update(userId: string, taskId: string, changes: UpdateTaskDto, ifMatch?: string): Promise<TaskResponse> {
    return this.writeWithVersionCheck(userId, taskId, ifMatch, () => this.ownedColumnValues(userId, changes));
  }

  /** completed -> pending, anything else -> completed. */
  toggle(userId: string, taskId: string, ifMatch?: string): Promise<TaskResponse> {
    return this.writeWithVersionCheck(userId, taskId, ifMatch, async (current) => ({
      status: current.status === 'completed' ? 'pending' : 'completed',
    }));
  }

  async remove(userId: string, taskId: string, ifMatch?: string): Promise<void> {
    if (ifMatch === undefined) {
      if (!(await this.tasks.deleteRow(userId, taskId))) {
        throw new NotFoundException('No such task.');
      }
      return;
    }
    const current = await this.get(userId, taskId);
    if (!ifMatchSatisfied(ifMatch, taskEtag(current))) {
      throw preconditionFailed();
    }
    // The version in the WHERE clause makes check-and-delete one atomic step.
    if (!(await this.tasks.deleteRow(userId, taskId, current.version))) {
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
   * The version check is the UPDATE's own WHERE clause (optimistic locking), so of two concurrent
   * writes with the same If-Match exactly one wins and the other gets 412.
   */
  private async writeWithVersionCheck(
    userId: string,
    taskId: string,
    ifMatch: string | undefined,
    change: (current: TaskResponse) => Promise<TaskColumnValues>,
  ): Promise<TaskResponse> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(userId, taskId);
      if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, taskEtag(current))) {
        throw preconditionFailed();
      }
      const values = changedColumns(current, await change(current));
      if (Object.keys(values).length === 0) {
        return current;
      }
      const updated = await this.tasks.updateRow(userId, taskId, current.version, values, completedAtChange(current.completedAt, values.status));
      if (updated) {
        return TaskResponse.fromRow(updated);
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
    }
  }

  /** The body's columns, once its category (if any) is known to be the caller's. */
  private async ownedColumnValues(userId: string, input: UpdateTaskDto): Promise<TaskColumnValues> {
    if (input.categoryId && !(await this.categories.isOwnedBy(userId, input.categoryId))) {
      throw unknownCategory();
    }
    return columnValuesFrom(input);
  }
}
