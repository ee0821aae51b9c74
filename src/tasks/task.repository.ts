import { EntityRepository, raw, type QBFilterQuery, type QueryBuilder } from '@mikro-orm/postgresql';
import { BoundValues, type Statement, StatementTemplates } from '../database/statement-templates.js';
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

type Bind = <T>(value: T) => T;

const notIssuedHere = () => validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * Tasks outside the trash, of one owner, matching the list filters. Every value passes through
 * `bind`, so the description also serves as the shape of a statement template.
 */
export function liveTasksWhere(userId: string, filters: TaskFilters, now = new Date(), bind: Bind = (value) => value): QBFilterQuery<Task> {
  const conditions: QBFilterQuery<Task>[] = [{ user: bind(userId), deletedAt: null }];
  if (filters.status?.length) {
    conditions.push({ status: { $in: filters.status.map(bind) } });
  }
  if (filters.priority?.length) {
    conditions.push({ priority: { $in: filters.priority.map(bind) } });
  }
  if (filters.categoryId !== undefined) {
    conditions.push({ category: filters.categoryId === null ? null : bind(filters.categoryId) });
  }
  if (filters.dueBefore) {
    conditions.push({ dueDate: { $lt: bind(filters.dueBefore) } });
  }
  if (filters.dueAfter) {
    conditions.push({ dueDate: { $gt: bind(filters.dueAfter) } });
  }
  if (filters.overdue === true) {
    conditions.push({ dueDate: { $lt: bind(now) }, status: { $ne: 'completed' } });
  } else if (filters.overdue === false) {
    conditions.push({ $or: [{ dueDate: null }, { dueDate: { $gte: bind(now) } }, { status: 'completed' }] });
  }
  if (filters.q) {
    // A filter over the owner's live tasks, which the task quota bounds (docs/DATABASE.md).
    const pattern = `%${escapeLike(filters.q)}%`;
    conditions.push({ $or: [{ title: { $ilike: bind(pattern) } }, { description: { $ilike: bind(pattern) } }] });
  }
  return { $and: conditions };
}

/** Page and single-task statements, one per shape (filters present, sort, cursor kind, limit). */
const STATEMENTS = new StatementTemplates(1_000);

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

  /** The owner's tasks among `ids`, live or trashed, as reads answer them (the change feed). */
  async findByIds(userId: string, ids: string[]): Promise<TaskRow[]> {
    return ids.length === 0 ? [] : (this.selectResponseColumns('write').where({ user: userId, id: { $in: ids } }).execute('all', false) as Promise<TaskRow[]>);
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
   * partial index. Public so the query-plan test EXPLAINs exactly the statement the API runs.
   */
  pageStatement(userId: string, filters: TaskFilters, sort: SortSpec, after: CursorPosition | undefined, limit: number): Statement {
    if (after) {
      checkCursorValue(sort, after);
    }
    const bound = new BoundValues();
    const where = liveTasksWhere(userId, filters, new Date(), bound.bind);
    const keyset = after && { value: after.value === null ? null : bound.bind(after.value), id: bound.bind(after.id) };
    const shape = JSON.stringify(['page', where, sort, keyset, limit]);
    return STATEMENTS.statement(shape, bound, () => {
      const column = `task.${this.column(sort.property)}`;
      const direction = sort.descending ? 'desc' : 'asc';
      const cursorText = sort.castTo === 'timestamptz' ? cursorTimestampSql(column) : `${column}::text`;
      const query = this.selectResponseColumns('read')
        .addSelect(raw(`${cursorText} as cursor_value`))
        .where(where)
        .orderBy([{ [sort.property]: sort.nullable ? `${direction} nulls last` : direction }, { id: direction }])
        .limit(limit + 1);
      return keyset ? query.andWhere(...keysetCondition(column, sort, keyset)) : query;
    });
  }

  async findPage(
    userId: string,
    filters: TaskFilters,
    sort: SortSpec,
    after: CursorPosition | undefined,
    limit: number,
  ): Promise<TaskPageRecord[]> {
    const { sql, params } = this.pageStatement(userId, filters, sort, after, limit);
    return withCursorValues(await this.getEntityManager().getConnection('read').execute(sql, params));
  }

  countMatching(userId: string, filters: TaskFilters): Promise<number> {
    return this.getEntityManager().createQueryBuilder(Task, 'task', 'read').where(liveTasksWhere(userId, filters)).getCount();
  }

  /**
   * The trash, most recently trashed first, keyset-paged on (deleted_at, id) along its partial
   * index. Public so the query-plan test EXPLAINs exactly the statement the API runs.
   */
  trashPageStatement(userId: string, after: CursorPosition | undefined, limit: number): Statement {
    if (after && (after.value === null || !isCursorTimestamp(after.value))) {
      throw notIssuedHere();
    }
    const bound = new BoundValues();
    const where = { user: bound.bind(userId), deletedAt: { $ne: null } };
    const keyset = after && [bound.bind(after.value), bound.bind(after.id)];
    return STATEMENTS.statement(JSON.stringify(['trash', Boolean(keyset), limit]), bound, () => {
      const column = `task.${this.column('deletedAt')}`;
      const query = this.selectResponseColumns('write')
        .addSelect(raw(`${cursorTimestampSql(column)} as cursor_value`))
        .where(where)
        .orderBy([{ deletedAt: 'desc' }, { id: 'desc' }])
        .limit(limit + 1);
      return keyset ? query.andWhere(`(${column}, task.id) < (?::timestamptz, ?::uuid)`, keyset) : query;
    });
  }

  async findTrashPage(userId: string, after: CursorPosition | undefined, limit: number): Promise<TaskPageRecord[]> {
    const { sql, params } = this.trashPageStatement(userId, after, limit);
    return withCursorValues(await this.getEntityManager().execute(sql, params));
  }

  /** One task of the owner, live or trashed, on the path of every read and write of a single task. */
  private async findOneInState(state: 'live' | 'trashed', userId: string, taskId: string): Promise<TaskRow | undefined> {
    const bound = new BoundValues();
    const where = { id: bound.bind(taskId), user: bound.bind(userId), deletedAt: state === 'live' ? null : { $ne: null } };
    const { sql, params } = STATEMENTS.statement(JSON.stringify(['one', state]), bound, () =>
      this.selectResponseColumns('write').where(where).limit(1),
    );
    const [row] = await this.getEntityManager().execute<TaskRow[]>(sql, params);
    return row;
  }
}

/** A cursor's sort key must be text this API could have issued for the sort (no null but on due dates). */
function checkCursorValue(sort: SortSpec, after: CursorPosition): void {
  const valid = after.value === null ? sort.nullable : CURSOR_VALUE_IS_VALID[sort.castTo](after.value);
  if (!valid) {
    throw notIssuedHere();
  }
}

/**
 * Rows strictly after the cursor in (key, id) order, nulls last for the nullable due date: a SQL
 * condition with its parameters (a string condition keeps them bound, where raw() inlines them).
 */
function keysetCondition(column: string, sort: SortSpec, after: CursorPosition): [string, unknown[]] {
  const comparison = sort.descending ? '<' : '>';
  if (after.value === null) {
    return [`(${column} is null and task.id ${comparison} ?::uuid)`, [after.id]];
  }
  const keyset = `(${column}, task.id) ${comparison} (?::${sort.castTo}, ?::uuid)`;
  return [sort.nullable ? `(${keyset} or ${column} is null)` : keyset, [after.value, after.id]];
}
