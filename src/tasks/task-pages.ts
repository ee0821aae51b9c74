import { EntityManager, raw, type QBFilterQuery } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { cursorTimestampSql, isCursorTimestamp, type CursorPosition } from '../common/keyset-cursor.js';
import { BoundValues, type Statement, StatementTemplates } from '../database/statement-templates.js';
import {
  branchesOf,
  checkCursorValue,
  keysetCondition,
  mergedWalks,
  notIssuedHere,
  type Bind,
  type ScopeBranch,
  type TaskFilters,
  type TaskScope,
} from './task-list-conditions.js';
import type { SortSpec } from './task-sort.js';
import { Task, type TaskRow } from './task.entity.js';

/** A page row: the task, and its sort key as text (`cursor_value`) for the next cursor. */
export type TaskPageRecord = TaskRow & { cursor_value: string | null };

/**
 * Page rows as they come: the response mapping picks its fields, so the sort key travels beside
 * them rather than costing a copy of every row (docs/PERFORMANCE.md, "Access reads built once").
 */
const asPageRecords = (rows: unknown[]) => rows as TaskPageRecord[];

/** Page statements, one per shape (filters present, sort, cursor kind, limit). */
const STATEMENTS = new StatementTemplates(1_000);

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

/**
 * The keyset-paged lists of tasks (GET /tasks) and of the trash (GET /trash), and the list's
 * count. Rows are selected as TaskRepository's single-task reads select them, so a list and a
 * read of one task answer the same fields. Lists and counts may read from a streaming replica
 * (DATABASE_REPLICA_URLS), where a page or a count a moment old is acceptable.
 */
@Injectable()
export class TaskPages {
  constructor(private readonly em: EntityManager) {}

  private get tasks() {
    return this.em.getRepository(Task);
  }

  private conditionValues(bind: Bind = (value) => value): ConditionValues {
    const platform = this.em.getPlatform();
    return { now: new Date(), bind, textArray: (values) => platform.marshallArray(values) };
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
      const column = `task.${this.tasks.column(sort.property)}`;
      const direction = sort.descending ? 'desc' : 'asc';
      const cursorText = sort.castTo === 'timestamptz' ? cursorTimestampSql(column) : `${column}::text`;
      const walk = ({ where, keyset }: (typeof walks)[number]) => {
        const query = this.tasks.selectResponseColumns('read').addSelect(raw(`${cursorText} as cursor_value`)).where(where);
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
    return asPageRecords(await this.em.getConnection('read').execute(sql, params));
  }

  async countMatching(scope: TaskScope, filters: TaskFilters): Promise<number> {
    let total = 0;
    for (const branch of branchesOf(scope)) {
      total += await this.em.createQueryBuilder(Task, 'task', 'read').where(liveTasksWhere(branch, filters, this.conditionValues())).getCount();
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
      const column = `task.${this.tasks.column('deletedAt')}`;
      const walk = ({ where, keyset }: (typeof walks)[number]) => {
        const query = this.tasks.selectResponseColumns('write').addSelect(raw(`${cursorTimestampSql(column)} as cursor_value`)).where(where);
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
    return asPageRecords(await this.em.execute(sql, params));
  }
}
