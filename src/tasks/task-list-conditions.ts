import { validationProblem } from '../common/errors/api-problem.exception.js';
import { isCursorTimestamp, type CursorPosition } from '../common/keyset-cursor.js';
import type { TaskPriority, TaskStatus } from './task-enums.js';
import type { SortSpec } from './task-sort.js';

/**
 * The conditions of the task lists (TaskPages' statements), as plain descriptions the
 * QueryBuilder turns into SQL: which walks a scope takes, the filters, the keyset after a cursor.
 */

export interface TaskFilters {
  status?: TaskStatus[];
  priority?: TaskPriority[];
  /** A category id, or null for uncategorised tasks. */
  categoryId?: string | null;
  dueBefore?: Date;
  dueAfter?: Date;
  overdue?: boolean;
  q?: string;
  /** A user id, or null for unassigned tasks. */
  assignee?: string | null;
  /** A task id (its subtasks), or null for top-level tasks. */
  parentId?: string | null;
  /** Label keys (lower-cased), matching tasks with any or all of them. */
  labels?: { keys: string[]; match: LabelMatch };
}

export const LABEL_MATCHES = ['any', 'all'] as const;
export type LabelMatch = (typeof LABEL_MATCHES)[number];

/**
 * Which tasks a list covers: those the caller owns (`ownerId`: their private tasks and every task
 * in their own categories) and those in categories shared with them. Each is one index walk.
 */
export interface TaskScope {
  ownerId?: string;
  sharedCategoryIds: string[];
}

/** One walk of the scope: an owner's tasks, or one category's. */
export type ScopeBranch = { user: string } | { category: string };

export const branchesOf = (scope: TaskScope): ScopeBranch[] => [
  ...(scope.ownerId === undefined ? [] : [{ user: scope.ownerId }]),
  ...scope.sharedCategoryIds.map((category) => ({ category })),
];

const CURSOR_VALUE_IS_VALID: Record<SortSpec['castTo'], (value: string) => boolean> = {
  timestamptz: isCursorTimestamp,
  smallint: (value) => /^[1-3]$/.test(value),
  // A title: 1 to 200 characters, counted as code points like the title's own limit.
  text: (value) => value.length > 0 && [...value].length <= 200,
};

export type Bind = <T>(value: T) => T;

export const notIssuedHere = () => validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);


/** Several walks of the same columns, each already cut at `limit`, merged into one order and cut again. */
export function mergedWalks(walks: Array<{ getQuery(): string; getParams(): readonly unknown[] }>, order: string, limit: number) {
  return {
    getQuery: () => `select * from (${walks.map((walk) => `(${walk.getQuery()})`).join(' union all ')}) as page order by ${order} limit ${limit}`,
    getParams: () => walks.flatMap((walk) => walk.getParams()),
  };
}

/** A cursor's sort key must be text this API could have issued for the sort (no null but on due dates). */
export function checkCursorValue(sort: SortSpec, after: CursorPosition): void {
  const valid = after.value === null ? sort.nullable : CURSOR_VALUE_IS_VALID[sort.castTo](after.value);
  if (!valid) {
    throw notIssuedHere();
  }
}

/**
 * Rows strictly after the cursor in (key, id) order, nulls last for the nullable due date: a SQL
 * condition with its parameters (a string condition keeps them bound, where raw() inlines them).
 */
export function keysetCondition(column: string, sort: SortSpec, after: CursorPosition): [string, unknown[]] {
  const comparison = sort.descending ? '<' : '>';
  if (after.value === null) {
    return [`(${column} is null and task.id ${comparison} ?::uuid)`, [after.id]];
  }
  const keyset = `(${column}, task.id) ${comparison} (?::${sort.castTo}, ?::uuid)`;
  return [sort.nullable ? `(${keyset} or ${column} is null)` : keyset, [after.value, after.id]];
}
