import { EntityRepository, raw, sql, type QBFilterQuery, type QueryBuilder } from '@mikro-orm/postgresql';
import { BoundValues, type Statement, StatementTemplates } from '../database/statement-templates.js';
import { cursorTimestampSql, isCursorTimestamp, type CursorPosition } from '../common/keyset-cursor.js';
import {
  branchesOf,
  checkCursorValue,
  keysetCondition,
  mergedWalks,
  type Bind,
  type ScopeBranch,
  notIssuedHere,
  type TaskFilters,
  type TaskScope,
} from './task-list-conditions.js';
import { userSummarySql, type UserSummary } from '../users/dto/user-summary.dto.js';
import { User } from '../users/user.entity.js';
import { CategoryMember } from '../categories/category-member.entity.js';
import type { SortSpec } from './task-sort.js';
import { Task, type SubtaskCounts, type TaskRecord, type TaskRow, type TaskValues } from './task.entity.js';

export type { TaskFilters, TaskScope };

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/** How a condition's values are written: `now` for overdue, `bind` (see below), lists as text[] values. */
interface ConditionValues {
  now: Date;
  bind: Bind;
  /** MikroORM inlines parameters, a JS array as a parenthesised list: a text[] is sent as its literal. */
  textArray: (values: string[]) => string;
}

/**
 * Tasks outside the trash, of one owner or one category, matching the list filters. Every value
 * passes through `bind`, so the description also serves as the shape of a statement template.
 */
function liveTasksWhere(branch: ScopeBranch, filters: TaskFilters, { now, bind, textArray }: ConditionValues): QBFilterQuery<Task> {
  const base = 'user' in branch ? { user: bind(branch.user) } : { category: bind(branch.category) };
  const conditions: QBFilterQuery<Task>[] = [{ ...base, deletedAt: null }];
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
  if (filters.assignee !== undefined) {
    conditions.push({ assignee: filters.assignee === null ? null : bind(filters.assignee) });
  }
  if (filters.parentId !== undefined) {
    conditions.push({ parent: filters.parentId === null ? null : bind(filters.parentId) });
  }
  if (filters.labels) {
    // && and @> on the label keys, which the (owner or category, label_keys) GIN indexes serve.
    // The whole list is one value, so any number of labels shares one statement.
    const keys = bind(textArray(filters.labels.keys));
    conditions.push({ labelKeys: filters.labels.match === 'all' ? { $contains: keys } : { $overlap: keys } });
  }
  if (filters.q) {
    // A filter over the owner's live tasks, which the task quota bounds (docs/DATABASE.md).
    const pattern = `%${escapeLike(filters.q)}%`;
    conditions.push({ $or: [{ title: { $ilike: bind(pattern) } }, { description: { $ilike: bind(pattern) } }] });
  }
  return { $and: conditions };
}

/** A single task as a read finds it, with the caller's membership role when it is not theirs. */
export type ReadableTask = TaskRow & { memberRole?: 'editor' | 'viewer' | null };

/** A page row: the task, and its sort key as text (`cursor_value`) for the next cursor. */
export type TaskPageRecord = TaskRow & { cursor_value: string | null };

/** Relations answered as user summaries rather than ids. */
const PEOPLE = new Set<string>(['createdBy', 'assignee'] satisfies Array<keyof Task>);

/** Page and single-task statements, one per shape (filters present, sort, cursor kind, limit). */
const STATEMENTS = new StatementTemplates(1_000);

/**
 * Mapped rows (`execute('all')`) have the entity's property names and types; MikroORM types a
 * relation there as a nested DTO, though an unpopulated one comes back as its id.
 */
const asRecords = (rows: unknown[]) => rows as TaskRecord[];

/**
 * Page rows as they come: the response mapping picks its fields, so the sort key travels beside
 * them rather than costing a copy of every row (docs/PERFORMANCE.md, "Access reads built once").
 */
const asPageRecords = (rows: unknown[]) => rows as TaskPageRecord[];

/** ISO 8601 in UTC with milliseconds, as Date.prototype.toISOString writes it. */
const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Only the tasks module writes `tasks`. Single tasks are read and written one statement each;
 * lists, counts and stats may read from a streaming replica (DATABASE_REPLICA_URLS), where a page
 * or a count a moment old is acceptable. Writes run inside the caller's unit of work.
 */
export class TaskRepository extends EntityRepository<Task> {
  private conditionValues(bind: Bind = (value) => value): ConditionValues {
    const platform = this.getEntityManager().getPlatform();
    return { now: new Date(), bind, textArray: (values) => platform.marshallArray(values) };
  }

  /** The column behind an entity property, from the metadata. */
  private column(property: keyof Task & string): string {
    return this.getEntityManager().getMetadata(Task).properties[property].fieldNames[0];
  }

  private select(connection: 'read' | 'write' = 'write'): QueryBuilder<Task, 'task'> {
    return this.getEntityManager().createQueryBuilder(Task, 'task', connection).select('*');
  }

  /**
   * Reads that answer the API (pages and single tasks) select every column of the entity under
   * its property name, timestamps already as ISO text, the people on the task (creator, assignee)
   * as user summaries, and skip the ORM's result mapping: measured at 0.54 against 0.77 ms of CPU
   * for a page of 50 (docs/PERFORMANCE.md, "Reads without result mapping"). Built from the
   * metadata, so a new property is selected without another line.
   */
  private selectResponseColumns(connection: 'read' | 'write') {
    const em = this.getEntityManager();
    const columns = em
      .getMetadata(Task)
      .props.filter((property) => property.fieldNames?.length === 1)
      .map((property) => {
        const column = `task.${property.fieldNames[0]}`;
        if (PEOPLE.has(property.name)) {
          return raw(`${userSummarySql(em, column)} as "${property.name}"`);
        }
        return raw(`${property.runtimeType === 'Date' ? isoText(column) : column} as "${property.name}"`);
      });
    return em.createQueryBuilder(Task, 'task', connection).select([...columns, raw(`${this.subtaskCountsSql('task')} as "subtasks"`)]);
  }

  /** The live subtasks of a task and how many are completed, as reads answer them. */
  async subtaskCounts(taskId: string): Promise<SubtaskCounts> {
    const [row] = await this.getEntityManager().execute<Array<{ subtasks: SubtaskCounts }>>(
      `select ${this.subtaskCountsSql('task')} as subtasks from (select ?::uuid as "${this.column('id')}") task`,
      [taskId],
    );
    return row.subtasks;
  }

  /** The live subtasks of the task `alias` names, and how many are completed: one probe of tasks_parent_idx. */
  private subtaskCountsSql(alias: string): string {
    const table = this.getEntityManager().getMetadata(Task).tableName;
    const [parent, status, deletedAt, id] = (['parent', 'status', 'deletedAt', 'id'] as const).map((property) => `"${this.column(property)}"`);
    return `(select json_build_object('total', count(*), 'completed', count(*) filter (where sub.${status} = 'completed'))
      from "${table}" sub where sub.${parent} = ${alias}.${id} and sub.${deletedAt} is null)`;
  }

  /** A task outside the trash, if the user can read it (theirs, or in a category shared with them). */
  findLive(userId: string, taskId: string): Promise<ReadableTask | undefined> {
    return this.findOneInState('live', userId, taskId);
  }

  /** A task in the trash, if the user can read it. */
  findTrashed(userId: string, taskId: string): Promise<ReadableTask | undefined> {
    return this.findOneInState('trashed', userId, taskId);
  }

  /** Summaries of these users, for the people a write puts on a task. */
  async findPeople(ids: string[]): Promise<Map<string, UserSummary>> {
    const people = ids.length === 0 ? [] : await this.getEntityManager().find(User, { id: { $in: ids } }, { fields: ['id', 'username', 'name'], disableIdentityMap: true });
    return new Map(people.map((person) => [person.id, { id: person.id, username: person.username, name: person.name }]));
  }

  /**
   * Inserts the task while its owner has fewer than `maxTasks` (trash included). users.task_count
   * is kept by triggers on tasks; locking the owner's row first makes one user's inserts wait for
   * each other, so the count read is the committed one and the quota holds under concurrency, and
   * the task's place at the end of its list (`placeAfterLock`) is read after the previous create's.
   * The locking statement answers the summaries of the task's creator and assignee. Undefined
   * (nothing written) when the quota is reached.
   */
  async insertWithinQuota(
    task: Omit<TaskRecord, 'position'>,
    maxTasks: number,
    placeAfterLock: () => Promise<string>,
  ): Promise<{ createdBy: UserSummary | null; assignee: UserSummary | null; position: string } | undefined> {
    const em = this.getEntityManager();
    const users = em.getMetadata(User);
    // FOR NO KEY UPDATE, which LockMode cannot say: FOR UPDATE would also block the foreign-key
    // checks (FOR KEY SHARE) of other transactions writing rows that point at this user, such as
    // activity entries, and deadlock with them.
    const [owner] = await em.execute<Array<{ createdBy: UserSummary | null; assignee: UserSummary | null }>>(
      `select ${userSummarySql(em, '?::uuid')} as "createdBy", ${userSummarySql(em, '?::uuid')} as "assignee"
         from "${users.tableName}" where "${users.properties.id.fieldNames[0]}" = ?
          and "${users.properties.taskCount.fieldNames[0]}" < ? for no key update`,
      [task.createdBy, task.assignee, task.user, maxTasks],
    );
    if (!owner) {
      return undefined;
    }
    const position = await placeAfterLock();
    await em.insert(Task, { ...task, position });
    return { ...owner, position };
  }

  /** Locks the owner's row while they have fewer than `maxTasks`: a task moving to them counts. */
  async reserveQuota(ownerId: string, maxTasks: number): Promise<boolean> {
    const em = this.getEntityManager();
    const users = em.getMetadata(User);
    const [owner] = await em.execute(
      `select 1 from "${users.tableName}" where "${users.properties.id.fieldNames[0]}" = ?
          and "${users.properties.taskCount.fieldNames[0]}" < ? for no key update`,
      [ownerId, maxTasks],
    );
    return owner !== undefined;
  }

  /**
   * Writes the values if the row still has `expectedVersion` (the optimistic lock is the UPDATE's
   * WHERE clause) and sets the next version; false when the task changed or went away meanwhile.
   * The caller's access was checked on the read of that version.
   */
  async updateIfVersion(
    taskId: string,
    expectedVersion: number,
    values: TaskValues & Partial<Pick<TaskRecord, 'user' | 'completedAt' | 'deletedAt' | 'updatedAt' | 'labelKeys'>>,
  ): Promise<boolean> {
    // The statement is written here from the metadata rather than by nativeUpdate, which spent
    // 0.49 ms of CPU per call preparing it against 0.07 ms for the same UPDATE sent this way
    // (docs/PERFORMANCE.md, "Versioned updates"); it runs on every write of a task.
    const column = (property: string) => `"${this.column(property as keyof Task & string)}"`;
    const platform = this.getEntityManager().getPlatform();
    const changed = Object.entries({ ...values, version: expectedVersion + 1 })
      .filter(([, value]) => value !== undefined)
      // Parameters are inlined, a JS array as a list: a text[] goes as its literal.
      .map(([property, value]) => [property, Array.isArray(value) ? platform.marshallArray(value) : value] as const);
    const result = await this.getEntityManager().execute<{ affectedRows: number }>(
      `update "${this.getEntityManager().getMetadata(Task).tableName}" set ${changed.map(([property]) => `${column(property)} = ?`).join(', ')}
        where ${column('id')} = ? and ${column('version')} = ?`,
      [...changed.map(([, value]) => value), taskId, expectedVersion],
      'run',
    );
    return result.affectedRows > 0;
  }

  /** Deletes a trashed task for good if it still has `expectedVersion`. */
  async purgeIfVersion(taskId: string, expectedVersion: number): Promise<boolean> {
    const deleted = await this.getEntityManager().nativeDelete(Task, {
      id: taskId,
      version: expectedVersion,
      deletedAt: { $ne: null },
    });
    return deleted > 0;
  }

  /**
   * These tasks as reads answer them, live or trashed, each with whether the user can read it now
   * (the change feed tells a task gone from their view from one deleted).
   */
  async findByIds(userId: string, ids: string[]): Promise<Array<TaskRow & { readable: boolean }>> {
    if (ids.length === 0) {
      return [];
    }
    const members = this.getEntityManager().getMetadata(CategoryMember);
    const memberColumn = (property: 'category' | 'user') => `m."${members.properties[property].fieldNames[0]}"`;
    const rows = await this.selectResponseColumns('write')
      .addSelect(raw(`(task.${this.column('user')} = ? or exists (select 1 from "${members.tableName}" m where ${memberColumn('category')} = task.${this.column('category')} and ${memberColumn('user')} = ?)) as readable`, [userId, userId]))
      .where({ id: { $in: ids } })
      .execute('all', false);
    return rows as unknown as Array<TaskRow & { readable: boolean }>;
  }

  /** Trashed tasks deleted before `cutoff`, oldest first, at most `limit` of them. */
  async findExpiredTrash(cutoff: Date, limit: number): Promise<TaskRecord[]> {
    return asRecords(await this.select().where({ deletedAt: { $lt: cutoff } }).orderBy({ deletedAt: 'asc' }).limit(limit).execute('all'));
  }

  async purge(tasks: TaskRecord[]): Promise<void> {
    await this.getEntityManager().nativeDelete(Task, { id: { $in: tasks.map((task) => task.id) }, deletedAt: { $ne: null } });
  }

  /**
   * One keyset page of live tasks in the scope: `limit + 1` rows, so the caller knows whether
   * another page follows. Each walk of the scope (the owner's tasks, one shared category) comes
   * first in its conditions, so it reads its (user_id or category_id, key, id) partial index in
   * order and stops after `limit + 1` rows; several walks are merged by sorting those few rows
   * (at most 201 walks × 51), never the whole set. Public so the query-plan test EXPLAINs exactly
   * the statement the API runs.
   */
  pageStatement(scope: TaskScope, filters: TaskFilters, sort: SortSpec, after: CursorPosition | undefined, limit: number): Statement {
    if (after) {
      checkCursorValue(sort, after);
    }
    const bound = new BoundValues();
    const values = this.conditionValues(bound.bind);
    const walks = branchesOf(scope).map((branch) => ({
      where: liveTasksWhere(branch, filters, values),
      keyset: after && { value: after.value === null ? null : bound.bind(after.value), id: bound.bind(after.id) },
    }));
    const shape = JSON.stringify(['page', walks, sort, limit]);
    return STATEMENTS.statement(shape, bound, () => {
      const column = `task.${this.column(sort.property)}`;
      const direction = sort.descending ? 'desc' : 'asc';
      const cursorText = sort.castTo === 'timestamptz' ? cursorTimestampSql(column) : `${column}::text`;
      const walk = ({ where, keyset }: (typeof walks)[number]) => {
        const query = this.selectResponseColumns('read').addSelect(raw(`${cursorText} as cursor_value`)).where(where);
        return (keyset ? query.andWhere(...keysetCondition(column, sort, keyset)) : query)
          .orderBy([{ [sort.property]: sort.nullable ? `${direction} nulls last` : direction }, { id: direction }])
          .limit(limit + 1);
      };
      if (walks.length === 1) {
        return walk(walks[0]);
      }
      return mergedWalks(
        walks.map((each) => walk(each).addSelect(raw(`${column} as sort_key`))),
        `sort_key ${direction}${sort.nullable ? ' nulls last' : ''}, "id" ${direction}`,
        limit + 1,
      );
    });
  }

  async findPage(scope: TaskScope, filters: TaskFilters, sort: SortSpec, after: CursorPosition | undefined, limit: number): Promise<TaskPageRecord[]> {
    if (branchesOf(scope).length === 0) {
      return [];
    }
    const { sql, params } = this.pageStatement(scope, filters, sort, after, limit);
    return asPageRecords(await this.getEntityManager().getConnection('read').execute(sql, params));
  }

  async countMatching(scope: TaskScope, filters: TaskFilters): Promise<number> {
    let total = 0;
    for (const branch of branchesOf(scope)) {
      total += await this.getEntityManager().createQueryBuilder(Task, 'task', 'read').where(liveTasksWhere(branch, filters, this.conditionValues())).getCount();
    }
    return total;
  }

  /**
   * The trash in the scope, most recently trashed first, keyset-paged on (deleted_at, id) along
   * the owner's and each shared category's partial index. Public so the query-plan test EXPLAINs
   * exactly the statement the API runs.
   */
  trashPageStatement(scope: TaskScope, after: CursorPosition | undefined, limit: number): Statement {
    if (after && (after.value === null || !isCursorTimestamp(after.value))) {
      throw notIssuedHere();
    }
    const bound = new BoundValues();
    const walks = branchesOf(scope).map((branch) => ({
      where: { ...('user' in branch ? { user: bound.bind(branch.user) } : { category: bound.bind(branch.category) }), deletedAt: { $ne: null } },
      keyset: after && [bound.bind(after.value), bound.bind(after.id)],
    }));
    return STATEMENTS.statement(JSON.stringify(['trash', walks, limit]), bound, () => {
      const column = `task.${this.column('deletedAt')}`;
      const walk = ({ where, keyset }: (typeof walks)[number]) => {
        const query = this.selectResponseColumns('write').addSelect(raw(`${cursorTimestampSql(column)} as cursor_value`)).where(where);
        return (keyset ? query.andWhere(`(${column}, task.id) < (?::timestamptz, ?::uuid)`, keyset) : query)
          .orderBy([{ deletedAt: 'desc' }, { id: 'desc' }])
          .limit(limit + 1);
      };
      if (walks.length === 1) {
        return walk(walks[0]);
      }
      return mergedWalks(
        walks.map((each) => walk(each).addSelect(raw(`${column} as sort_key`))),
        'sort_key desc, "id" desc',
        limit + 1,
      );
    });
  }

  async findTrashPage(scope: TaskScope, after: CursorPosition | undefined, limit: number): Promise<TaskPageRecord[]> {
    if (branchesOf(scope).length === 0) {
      return [];
    }
    const { sql, params } = this.trashPageStatement(scope, after, limit);
    return asPageRecords(await this.getEntityManager().execute(sql, params));
  }

  /**
   * One task, live or trashed, on the path of every read and write of a single task: found by its
   * id, then readable by its owner, or by a member of its category, whose role the same statement
   * reads with one more index lookup (category_members' primary key).
   */
  private async findOneInState(state: 'live' | 'trashed', userId: string, taskId: string): Promise<ReadableTask | undefined> {
    const bound = new BoundValues();
    const where = { id: bound.bind(taskId), deletedAt: state === 'live' ? null : { $ne: null } };
    const user = bound.bind(userId);
    const statement = STATEMENTS.statement(JSON.stringify(['one', state]), bound, () => {
      const members = this.getEntityManager().getMetadata(CategoryMember);
      const memberColumn = (property: 'category' | 'user' | 'role') => `"${members.properties[property].fieldNames[0]}"`;
      return this.selectResponseColumns('write')
        .addSelect(raw(`member.${memberColumn('role')} as "memberRole"`))
        .leftJoin(sql.ref(members.tableName), 'member', {
          [`member.${members.properties.category.fieldNames[0]}`]: sql.ref(`task.${this.column('category')}`),
          [`member.${members.properties.user.fieldNames[0]}`]: user,
        })
        .where(where)
        .andWhere(`(task.${this.column('user')} = ? or member.${memberColumn('role')} is not null)`, [user])
        .limit(1);
    });
    const [row] = await this.getEntityManager().execute<ReadableTask[]>(statement.sql, statement.params);
    return row;
  }
}
