import type { TaskPriority, TaskStatus } from './task-enums.js';

/**
 * The SQL of single-task reads and writes, with `?` placeholders. Every statement scopes by
 * `user_id` and answers the row as the list query does, so one mapper (TaskResponse.fromRow)
 * serves them all. Exported so the benchmark's baseline sends exactly these statements.
 */

/** ISO 8601 in UTC with milliseconds, formatted by PostgreSQL: what the API answers with. */
const isoTimestamp = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;

export const TASK_COLUMNS = [
  'id, title, description, status, priority, category_id, version',
  ...['due_date', 'completed_at', 'created_at', 'updated_at'].map(isoTimestamp),
].join(', ');

export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/** Column values a create or an update writes; server-owned ones (timestamps, version) are SQL's. */
export interface TaskColumnValues {
  title?: string;
  description?: string | null;
  status?: TaskStatus;
  priority?: TaskPriority;
  due_date?: Date | null;
  category_id?: string | null;
}

/** completed_at follows status: set when a task becomes completed, cleared when it leaves it. */
export type CompletedAtChange = 'set' | 'clear' | 'keep';

const COMPLETED_AT_SQL: Record<CompletedAtChange, string | undefined> = {
  set: 'completed_at = now()',
  clear: 'completed_at = null',
  keep: undefined,
};

export function selectTask(userId: string, taskId: string): SqlStatement {
  return { sql: `select ${TASK_COLUMNS} from tasks where id = ? and user_id = ?`, params: [taskId, userId] };
}

/**
 * Inserts the task only while its owner has fewer than `maxTasks` (the task quota): no row back
 * means the quota is reached and nothing was written. users.task_count is kept by triggers on
 * tasks; locking the owner's row makes concurrent inserts of one user wait for each other, and
 * PostgreSQL re-checks `task_count < ?` on the row as the previous insert committed it, so the
 * quota holds under concurrency in this one statement. created_at, updated_at and version come
 * from the column defaults.
 */
export function insertTask(
  taskId: string,
  userId: string,
  values: TaskColumnValues & { title: string },
  completedAt: CompletedAtChange,
  maxTasks: number,
): SqlStatement {
  const columns = Object.entries(values).filter(([, value]) => value !== undefined);
  const names = ['id', 'user_id', ...columns.map(([name]) => name)];
  const placeholders = names.map(() => '?');
  if (completedAt === 'set') {
    names.push('completed_at');
    placeholders.push('now()');
  }
  return {
    sql: `with owner as (select id from users where id = ? and task_count < ? for no key update)
          insert into tasks (${names.join(', ')}) select ${placeholders.join(', ')} from owner returning ${TASK_COLUMNS}`,
    params: [userId, maxTasks, taskId, userId, ...columns.map(([, value]) => value)],
  };
}

/**
 * Writes the given columns if the row still has `expectedVersion` (optimistic lock in the WHERE
 * clause) and bumps the version; no row back means the task changed or went away meanwhile.
 */
export function updateTask(
  userId: string,
  taskId: string,
  expectedVersion: number,
  values: TaskColumnValues,
  completedAt: CompletedAtChange,
): SqlStatement {
  const columns = Object.entries(values).filter(([, value]) => value !== undefined);
  const assignments = [
    ...columns.map(([name]) => `${name} = ?`),
    COMPLETED_AT_SQL[completedAt],
    'updated_at = now()',
    'version = version + 1',
  ].filter(Boolean);
  return {
    sql: `update tasks set ${assignments.join(', ')}
           where id = ? and user_id = ? and version = ? returning ${TASK_COLUMNS}`,
    params: [...columns.map(([, value]) => value), taskId, userId, expectedVersion],
  };
}

/** Without an expected version the delete is unconditional (no If-Match). */
export function deleteTask(userId: string, taskId: string, expectedVersion?: number): SqlStatement {
  return expectedVersion === undefined
    ? { sql: 'delete from tasks where id = ? and user_id = ? returning id', params: [taskId, userId] }
    : {
        sql: 'delete from tasks where id = ? and user_id = ? and version = ? returning id',
        params: [taskId, userId, expectedVersion],
      };
}
