import { EntityRepository, raw, type QBFilterQuery, type QueryBuilder } from '@mikro-orm/postgresql';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { cursorTimestampSql, isCursorTimestamp, type CursorPosition } from '../common/keyset-cursor.js';
import { User } from '../users/user.entity.js';
import type { TaskPriority, TaskStatus } from './task-enums.js';
import type { SortSpec } from './task-sort.js';
import { Task, type TaskRecord, type TaskRow, type TaskValues } from './task.entity.js';

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

export type TaskPageRecord = TaskRow & { cursorValue: string | null };

const CURSOR_VALUE_IS_VALID: Record<SortSpec['castTo'], (value: string) => boolean> = {
  timestamptz: isCursorTimestamp,
  smallint: (value) => /^[1-3]$/.test(value),
  // A title: 1 to 200 characters, counted as code points like the title's own limit.
  text: (value) => value.length > 0 && [...value].length <= 200,
};

const notIssuedHere = () => validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** Tasks outside the trash, of one owner, matching the list filters. */
export function liveTasksWhere(userId: string, filters: TaskFilters, now = new Date()): QBFilterQuery<Task> {
  const conditions: QBFilterQuery<Task>[] = [{ user: userId, deletedAt: null }];
  if (filters.status?.length) {
    conditions.push({ status: { $in: filters.status } });
  }
  if (filters.priority?.length) {
    conditions.push({ priority: { $in: filters.priority } });
  }
  if (filters.categoryId !== undefined) {
    conditions.push({ category: filters.categoryId });
  }
  if (filters.dueBefore) {
    conditions.push({ dueDate: { $lt: filters.dueBefore } });
  }
  if (filters.dueAfter) {
    conditions.push({ dueDate: { $gt: filters.dueAfter } });
  }
  if (filters.overdue === true) {
    conditions.push({ dueDate: { $lt: now }, status: { $ne: 'completed' } });
  } else if (filters.overdue === false) {
    conditions.push({ $or: [{ dueDate: null }, { dueDate: { $gte: now } }, { status: 'completed' }] });
  }
  if (filters.q) {
    // A filter over the owner's live tasks, which the task quota bounds (docs/DATABASE.md).
    const pattern = `%${escapeLike(filters.q)}%`;
    conditions.push({ $or: [{ title: { $ilike: pattern } }, { description: { $ilike: pattern } }] });
  }
  return { $and: conditions };
}

/** Single-task reads, as the QueryBuilder wrote them, kept for the life of the process. */
const SINGLE_TASK_READS: { live?: { sql: string; params: readonly unknown[] }; trashed?: { sql: string; params: readonly unknown[] } } = {};
const STAND_IN_TASK = '00000000-0000-4000-8000-00000000000a';
const STAND_IN_OWNER = '00000000-0000-4000-8000-00000000000b';

/**
 * Mapped rows (`execute('all')`) have the entity's property names and types; MikroORM types a
 * relation there as a nested DTO, though an unpopulated one comes back as its id.
 */
const asRecords = (rows: unknown[]) => rows as TaskRecord[];

/** Page rows carry the sort key as text beside the task, for the next cursor. */
const withCursorValues = (rows: unknown[]): TaskPageRecord[] =>
  (rows as Array<TaskRow & { cursor_value: string | null }>).map(({ cursor_value, ...task }) => ({ ...task, cursorValue: cursor_value }));

/** ISO 8601 in UTC with milliseconds, as Date.prototype.toISOString writes it. */
const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Only the tasks module writes `tasks`. Single tasks are read and written one statement each;
 * lists, counts and stats may read from a streaming replica (DATABASE_REPLICA_URLS), where a page
 * or a count a moment old is acceptable. Writes run inside the caller's unit of work.
 */
export class TaskRepository extends EntityRepository<Task> {
  /** The column behind an entity property, from the metadata. */
  private column(property: keyof Task & string): string {
    return this.getEntityManager().getMetadata(Task).properties[property].fieldNames[0];
  }

  private select(connection: 'read' | 'write' = 'write'): QueryBuilder<Task, 'task'> {
    return this.getEntityManager().createQueryBuilder(Task, 'task', connection).select('*');
  }

  /**
   * Reads that answer the API (pages and single tasks) select every column of the entity under
   * its property name, timestamps already as ISO text, and skip the ORM's result mapping:
   * measured at 0.54 against 0.77 ms of CPU for a page of 50 (docs/PERFORMANCE.md, "Reads without
   * result mapping"). Built from the metadata, so a new property is selected without another line.
   */
  private selectResponseColumns(connection: 'read' | 'write') {
    const columns = this.getEntityManager()
      .getMetadata(Task)
      .props.filter((property) => property.fieldNames?.length === 1)
      .map((property) => {
        const column = `task.${property.fieldNames[0]}`;
        return raw(`${property.runtimeType === 'Date' ? isoText(column) : column} as "${property.name}"`);
      });
    return this.getEntityManager().createQueryBuilder(Task, 'task', connection).select(columns);
  }

  findLive(userId: string, taskId: string): Promise<TaskRow | undefined> {
    return this.findOneInState('live', userId, taskId);
  }

  findTrashed(userId: string, taskId: string): Promise<TaskRow | undefined> {
    return this.findOneInState('trashed', userId, taskId);
  }

  /**
   * Inserts the task while its owner has fewer than `maxTasks` (trash included). users.task_count
   * is kept by triggers on tasks; locking the owner's row first makes one user's inserts wait for
   * each other, so the count read is the committed one and the quota holds under concurrency.
   * False (nothing written) when the quota is reached.
   */
  async insertWithinQuota(task: TaskRecord, maxTasks: number): Promise<boolean> {
    const em = this.getEntityManager();
    const users = em.getMetadata(User);
    // FOR NO KEY UPDATE, which LockMode cannot say: FOR UPDATE would also block the foreign-key
    // checks (FOR KEY SHARE) of other transactions writing rows that point at this user, such as
    // activity entries, and deadlock with them.
    const [owner] = await em.execute(
      `select 1 from "${users.tableName}" where "${users.properties.id.fieldNames[0]}" = ?
          and "${users.properties.taskCount.fieldNames[0]}" < ? for no key update`,
      [task.user, maxTasks],
    );
    if (!owner) {
      return false;
    }
    await em.insert(Task, task);
    return true;
  }

  /**
   * Writes the values if the row still has `expectedVersion` (the optimistic lock is the UPDATE's
   * WHERE clause) and sets the next version; false when the task changed or went away meanwhile.
   */
  async updateIfVersion(
    userId: string,
    taskId: string,
    expectedVersion: number,
    values: TaskValues & Partial<Pick<TaskRecord, 'completedAt' | 'deletedAt' | 'updatedAt'>>,
  ): Promise<boolean> {
    // The statement is written here from the metadata rather than by nativeUpdate, which spent
    // 0.49 ms of CPU per call preparing it against 0.07 ms for the same UPDATE sent this way
    // (docs/PERFORMANCE.md, "Versioned updates"); it runs on every write of a task.
    const column = (property: string) => `"${this.column(property as keyof Task & string)}"`;
    const changed = Object.entries({ ...values, version: expectedVersion + 1 }).filter(([, value]) => value !== undefined);
    const result = await this.getEntityManager().execute<{ affectedRows: number }>(
      `update "${this.getEntityManager().getMetadata(Task).tableName}" set ${changed.map(([property]) => `${column(property)} = ?`).join(', ')}
        where ${column('id')} = ? and ${column('user')} = ? and ${column('version')} = ?`,
      [...changed.map(([, value]) => value), taskId, userId, expectedVersion],
      'run',
    );
    return result.affectedRows > 0;
  }

  /** Deletes a trashed task for good if it still has `expectedVersion`. */
  async purgeIfVersion(userId: string, taskId: string, expectedVersion: number): Promise<boolean> {
    const deleted = await this.getEntityManager().nativeDelete(Task, {
      id: taskId,
      user: userId,
      version: expectedVersion,
      deletedAt: { $ne: null },
    });
    return deleted > 0;
  }

  /** Every task (trash included) filed under the category, for detaching them. */
  async findInCategory(userId: string, categoryId: string): Promise<TaskRecord[]> {
    return asRecords(await this.select().where({ user: userId, category: categoryId }).execute('all'));
  }

  /** Clears the category of these tasks, bumping each version: their representation changed. */
  async detach(userId: string, tasks: TaskRecord[], now: Date): Promise<void> {
    if (tasks.length === 0) {
      return;
    }
    await this.getEntityManager().nativeUpdate(
      Task,
      { user: userId, id: { $in: tasks.map((task) => task.id) } },
      { category: null, updatedAt: now, version: raw(`${this.column('version')} + 1`) },
    );
  }

  /** Trashed tasks deleted before `cutoff`, oldest first, at most `limit` of them. */
  async findExpiredTrash(cutoff: Date, limit: number): Promise<TaskRecord[]> {
    return asRecords(await this.select().where({ deletedAt: { $lt: cutoff } }).orderBy({ deletedAt: 'asc' }).limit(limit).execute('all'));
  }

  async purge(tasks: TaskRecord[]): Promise<void> {
    await this.getEntityManager().nativeDelete(Task, { id: { $in: tasks.map((task) => task.id) }, deletedAt: { $ne: null } });
  }

  /**
   * One keyset page of live tasks: `limit + 1` rows, so the caller knows whether another page
   * follows. The owner comes first in every condition, so each sort walks its (user_id, key, id)
   * partial index. Public so the query-plan test EXPLAINs exactly the query the API runs.
   */
  pageQuery(userId: string, filters: TaskFilters, sort: SortSpec, after: CursorPosition | undefined, limit: number) {
    const column = `task.${this.column(sort.property)}`;
    const direction = sort.descending ? 'desc' : 'asc';
    const cursorText = sort.castTo === 'timestamptz' ? cursorTimestampSql(column) : `${column}::text`;
    const query = this.selectResponseColumns('read')
      .addSelect(raw(`${cursorText} as cursor_value`))
      .where(liveTasksWhere(userId, filters))
      .orderBy([{ [sort.property]: sort.nullable ? `${direction} nulls last` : direction }, { id: direction }])
      .limit(limit + 1);
    if (after) {
      query.andWhere(this.keysetCondition(column, sort, after));
    }
    return query;
  }

  async findPage(
    userId: string,
    filters: TaskFilters,
    sort: SortSpec,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<TaskPageRecord[]> {
    return withCursorValues(await this.pageQuery(userId, filters, sort, after, limit).execute('all', false));
  }

  countMatching(userId: string, filters: TaskFilters): Promise<number> {
    return this.getEntityManager().createQueryBuilder(Task, 'task', 'read').where(liveTasksWhere(userId, filters)).getCount();
  }

  /**
   * The trash, most recently trashed first, keyset-paged on (deleted_at, id) along its partial
   * index. Public so the query-plan test EXPLAINs exactly the query the API runs.
   */
  trashPageQuery(userId: string, after: CursorPosition | undefined, limit: number) {
    const column = `task.${this.column('deletedAt')}`;
    const query = this.selectResponseColumns('write')
      .addSelect(raw(`${cursorTimestampSql(column)} as cursor_value`))
      .where({ user: userId, deletedAt: { $ne: null } })
      .orderBy([{ deletedAt: 'desc' }, { id: 'desc' }])
      .limit(limit + 1);
    if (after) {
      if (after.value === null || !isCursorTimestamp(after.value)) {
        throw notIssuedHere();
      }
      query.andWhere(raw(`(${column}, task.id) < (?::timestamptz, ?::uuid)`, [after.value, after.id]));
    }
    return query;
  }

  async findTrashPage(userId: string, after: CursorPosition | undefined, limit: number): Promise<TaskPageRecord[]> {
    return withCursorValues(await this.trashPageQuery(userId, after, limit).execute('all', false));
  }

  /**
   * One task of the owner, live or trashed. The QueryBuilder writes the statement once per process
   * (with stand-in values, replaced by the real ones at each call): building it costs about 0.4 ms
   * of CPU, more than the query itself, on the path of every read and write of a single task
   * (docs/PERFORMANCE.md, "Single-task reads built once").
   */
  private async findOneInState(state: keyof typeof SINGLE_TASK_READS, userId: string, taskId: string): Promise<TaskRow | undefined> {
    const statement = (SINGLE_TASK_READS[state] ??= this.singleTaskRead(state));
    const params = statement.params.map((param) => (param === STAND_IN_TASK ? taskId : param === STAND_IN_OWNER ? userId : param));
    const [row] = await this.getEntityManager().execute<TaskRow[]>(statement.sql, params);
    return row;
  }

  private singleTaskRead(state: keyof typeof SINGLE_TASK_READS): { sql: string; params: readonly unknown[] } {
    const query = this.selectResponseColumns('write')
      .where({ id: STAND_IN_TASK, user: STAND_IN_OWNER, deletedAt: state === 'live' ? null : { $ne: null } })
      .limit(1);
    return { sql: query.getQuery(), params: query.getParams() };
  }

  /** Rows strictly after the cursor in (key, id) order, nulls last for the nullable due date. */
  private keysetCondition(column: string, sort: SortSpec, after: CursorPosition) {
    const comparison = sort.descending ? '<' : '>';
    if (after.value === null) {
      if (!sort.nullable) {
        throw notIssuedHere();
      }
      return raw(`(${column} is null and task.id ${comparison} ?::uuid)`, [after.id]);
    }
    if (!CURSOR_VALUE_IS_VALID[sort.castTo](after.value)) {
      throw notIssuedHere();
    }
    const keyset = `(${column}, task.id) ${comparison} (?::${sort.castTo}, ?::uuid)`;
    return raw(sort.nullable ? `(${keyset} or ${column} is null)` : keyset, [after.value, after.id]);
  }
}
