import { EntityRepository } from '@mikro-orm/postgresql';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { cursorTimestampSql, isCursorTimestamp, type CursorPosition } from '../common/keyset-cursor.js';
import type { TaskRow } from './dto/task-response.dto.js';
import type { TaskPriority, TaskStatus } from './task-enums.js';
import type { SortSpec } from './task-sort.js';
import type { Task } from './task.entity.js';
import {
  deleteTask,
  insertTask,
  selectTask,
  TASK_COLUMNS,
  updateTask,
  type CompletedAtChange,
  type SqlStatement,
  type TaskColumnValues,
} from './task-sql.js';

export interface TaskFilters {
  status?: TaskStatus[];
  priority?: TaskPriority[];
  /** A category id, or null for uncategorised tasks. */
  categoryId?: string | null;
  dueBefore?: Date;
  dueAfter?: Date;
  overdue?: boolean;
  q?: string;
}

export interface TaskStatsRow {
  total: number;
  pending: number;
  in_progress: number;
  completed: number;
  low: number;
  medium: number;
  high: number;
  overdue: number;
  due_today: number;
  completed_last_7_days: number;
}

/** The sort key as lossless text, so the cursor compares exactly. */
const cursorText = (sort: SortSpec) =>
  sort.castTo === 'timestamptz' ? cursorTimestampSql(sort.column) : `${sort.column}::text`;

const CURSOR_VALUE_IS_VALID: Record<SortSpec['castTo'], (value: string) => boolean> = {
  timestamptz: isCursorTimestamp,
  smallint: (value) => /^[1-3]$/.test(value),
  // A title: 1 to 200 characters, counted as code points like the title's own limit.
  text: (value) => value.length > 0 && [...value].length <= 200,
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** SQL fragments with `?` placeholders and their parameters, in order. */
class Conditions {
  readonly sql: string[] = [];
  readonly params: unknown[] = [];

  add(fragment: string, ...params: unknown[]): void {
    this.sql.push(fragment);
    this.params.push(...params);
  }

  placeholders(values: unknown[]): string {
    return values.map(() => '?').join(', ');
  }

  toString(): string {
    return this.sql.join(' and ');
  }
}

function filterConditions(userId: string, filters: TaskFilters): Conditions {
  const where = new Conditions();
  where.add('user_id = ?', userId);
  if (filters.status?.length) {
    where.add(`status in (${where.placeholders(filters.status)})`, ...filters.status);
  }
  if (filters.priority?.length) {
    where.add(`priority in (${where.placeholders(filters.priority)})`, ...filters.priority);
  }
  if (filters.categoryId === null) {
    where.add('category_id is null');
  } else if (filters.categoryId) {
    where.add('category_id = ?', filters.categoryId);
  }
  if (filters.dueBefore) {
    where.add('due_date < ?', filters.dueBefore);
  }
  if (filters.dueAfter) {
    where.add('due_date > ?', filters.dueAfter);
  }
  if (filters.overdue === true) {
    where.add(`due_date < now() and status <> 'completed'`);
  } else if (filters.overdue === false) {
    where.add(`(due_date is null or due_date >= now() or status = 'completed')`);
  }
  if (filters.q) {
    // Each column has its own trigram index; PostgreSQL ORs the two index scans.
    const pattern = `%${escapeLike(filters.q)}%`;
    where.add('(title ilike ? or description ilike ?)', pattern, pattern);
  }
  return where;
}

/** Rows strictly after the cursor in (key, id) order, nulls last for the nullable due date. */
function addKeyset(where: Conditions, sort: SortSpec, after: CursorPosition): void {
  const comparison = sort.descending ? '<' : '>';
  if (after.value === null) {
    if (!sort.nullable) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
    }
    where.add(`(${sort.column} is null and id ${comparison} ?::uuid)`, after.id);
    return;
  }
  if (!CURSOR_VALUE_IS_VALID[sort.castTo](after.value)) {
    throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
  }
  const keyset = `(${sort.column}, id) ${comparison} (?::${sort.castTo}, ?::uuid)`;
  where.add(sort.nullable ? `(${keyset} or ${sort.column} is null)` : keyset, after.value, after.id);
}

/**
 * One keyset page: `limit + 1` rows, so the caller knows whether another page follows. Every
 * condition starts with user_id, so each sort walks its (user_id, key, id) index. ORDER BY names
 * `tasks.` columns: a bare name would mean the ISO text selected under the same alias. Exported so
 * the query-plan test EXPLAINs exactly the SQL the API runs.
 */
export function buildPageQuery(
  userId: string,
  filters: TaskFilters,
  sort: SortSpec,
  after: CursorPosition | undefined,
  limit: number,
): { sql: string; params: unknown[] } {
  const where = filterConditions(userId, filters);
  if (after) {
    addKeyset(where, sort, after);
  }
  const direction = sort.descending ? 'desc' : 'asc';
  const nulls = sort.nullable ? ' nulls last' : '';
  return {
    sql: `select ${TASK_COLUMNS}, ${cursorText(sort)} as cursor_value from tasks
           where ${where}
           order by tasks.${sort.column} ${direction}${nulls}, tasks.id ${direction}
           limit ?`,
    params: [...where.params, limit + 1],
  };
}

/**
 * Lists, counts and stats may read from a streaming replica (DATABASE_REPLICA_URLS): a page or a
 * count a moment old is acceptable there. Single-task reads, writes and sessions stay on the primary.
 */
export class TaskRepository extends EntityRepository<Task> {
  private replicaOrPrimary() {
    return this.getEntityManager().getConnection('read');
  }

  // Single tasks are read and written with one statement each on the primary: no unit of work,
  // no hydration, no BEGIN/COMMIT around a lone statement (docs/PERFORMANCE.md, items 2 and 3).
  private async firstRow(statement: SqlStatement): Promise<TaskRow | undefined> {
    const [row] = await this.getEntityManager().execute<TaskRow[]>(statement.sql, statement.params);
    return row;
  }

  findRow(userId: string, taskId: string): Promise<TaskRow | undefined> {
    return this.firstRow(selectTask(userId, taskId));
  }

  /** The new row, or undefined when the owner already has `maxTasks` tasks (nothing written). */
  insertRow(
    taskId: string,
    userId: string,
    values: TaskColumnValues & { title: string },
    completedAt: CompletedAtChange,
    maxTasks: number,
  ): Promise<TaskRow | undefined> {
    return this.firstRow(insertTask(taskId, userId, values, completedAt, maxTasks));
  }

  updateRow(
    userId: string,
    taskId: string,
    expectedVersion: number,
    values: TaskColumnValues,
    completedAt: CompletedAtChange,
  ): Promise<TaskRow | undefined> {
    return this.firstRow(updateTask(userId, taskId, expectedVersion, values, completedAt));
  }

  async deleteRow(userId: string, taskId: string, expectedVersion?: number): Promise<boolean> {
    const { sql, params } = deleteTask(userId, taskId, expectedVersion);
    return (await this.getEntityManager().execute<{ id: string }[]>(sql, params)).length > 0;
  }

  /** The page buildPageQuery describes, from a replica when there is one. */
  async findPage(
    userId: string,
    filters: TaskFilters,
    sort: SortSpec,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<Array<TaskRow & { cursor_value: string | null }>> {
    const { sql, params } = buildPageQuery(userId, filters, sort, after, limit);
    return this.replicaOrPrimary().execute(sql, params);
  }

  async countMatching(userId: string, filters: TaskFilters): Promise<number> {
    const where = filterConditions(userId, filters);
    const [row] = await this.replicaOrPrimary().execute<{ count: number }[]>(`select count(*)::int as count from tasks where ${where}`, where.params);
    return row.count;
  }
  /** All counts in one pass over the user's tasks; "today" is the calendar day in `timeZone`. */
  async stats(userId: string, timeZone: string): Promise<TaskStatsRow> {
    const [row] = await this.replicaOrPrimary().execute<TaskStatsRow[]>(
      `with local_today as (
         select date_trunc('day', now() at time zone ?) as midnight
       ), today as (
         -- Both ends converted from local midnights, so 23- and 25-hour days are right.
         select midnight at time zone ? as starts_at, (midnight + interval '1 day') at time zone ? as ends_at
           from local_today
       )
       select count(*)::int as total,
              count(*) filter (where status = 'pending')::int as pending,
              count(*) filter (where status = 'in_progress')::int as in_progress,
              count(*) filter (where status = 'completed')::int as completed,
              count(*) filter (where priority = 'low')::int as low,
              count(*) filter (where priority = 'medium')::int as medium,
              count(*) filter (where priority = 'high')::int as high,
              count(*) filter (where due_date < now() and status <> 'completed')::int as overdue,
              count(*) filter (where due_date >= today.starts_at and due_date < today.ends_at
                                 and status <> 'completed')::int as due_today,
              count(*) filter (where status = 'completed' and completed_at >= now() - interval '7 days')::int
                as completed_last_7_days
         from tasks cross join today
        where user_id = ?`,
      [timeZone, timeZone, timeZone, userId],
    );
    return row;
  }
}
