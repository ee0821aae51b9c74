import { EntityRepository, raw, sql, type QueryBuilder } from '@mikro-orm/postgresql';
import { BoundValues, StatementTemplates } from '../database/statement-templates.js';
import { userSummarySql, type UserSummary } from '../users/dto/user-summary.dto.js';
import { User } from '../users/user.entity.js';
import { CategoryMember } from '../categories/category-member.entity.js';
import { Task, type SubtaskCounts, type TaskRecord, type TaskRow, type TaskValues } from './task.entity.js';

/** A single task as a read finds it, with the caller's membership role when it is not theirs. */
export type ReadableTask = TaskRow & { memberRole?: 'editor' | 'viewer' | null };

/** Relations answered as user summaries rather than ids. */
const PEOPLE = new Set<string>(['createdBy', 'assignee'] satisfies Array<keyof Task>);

/** The single-task statements, one per state (live, trashed). */
const STATEMENTS = new StatementTemplates(2);

/**
 * Mapped rows (`execute('all')`) have the entity's property names and types; MikroORM types a
 * relation there as a nested DTO, though an unpopulated one comes back as its id.
 */
const asRecords = (rows: unknown[]) => rows as TaskRecord[];

/** ISO 8601 in UTC with milliseconds, as Date.prototype.toISOString writes it. */
const isoText = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Only the tasks module writes `tasks`. Single tasks are read and written one statement each;
 * writes run inside the caller's unit of work. The lists (TaskPages) select their rows with
 * `selectResponseColumns`, as the single-task reads here do.
 */
export class TaskRepository extends EntityRepository<Task> {
  /** The column behind an entity property, from the metadata. */
  column(property: keyof Task & string): string {
    return this.getEntityManager().getMetadata(Task).properties[property].fieldNames[0];
  }

  private select(): QueryBuilder<Task, 'task'> {
    return this.getEntityManager().createQueryBuilder(Task, 'task').select('*');
  }

  /**
   * Reads that answer the API (single tasks here, TaskPages' lists) select every column of the
   * entity under its property name, timestamps already as ISO text, the people on the task
   * (creator, assignee) as user summaries, and skip the ORM's result mapping: measured at 0.54
   * against 0.77 ms of CPU for a page of 50 (docs/PERFORMANCE.md, "Reads without result mapping").
   * Built from the metadata, so a new property is selected without another line.
   */
  selectResponseColumns(connection: 'read' | 'write') {
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
