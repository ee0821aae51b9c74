import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { FieldChanges } from '../activity/activity.entity.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { TaskAccess } from './task-access.js';
import type { TaskValues } from './task.entity.js';
import { Task } from './task.entity.js';
import { TaskRepository, type ReadableTask } from './task.repository.js';

/** A task, its subtasks and theirs: four levels at most. */
export const MAX_TASK_DEPTH = 4;
/** Recursive walks stop here even if a cycle slipped in (two concurrent re-parentings). */
const WALK_LIMIT = MAX_TASK_DEPTH * 2;

const parentProblem = (message: string) => validationProblem([{ field: 'parentId', message }]);
const categoryProblem = (message: string) => validationProblem([{ field: 'categoryId', message }]);

/** A subtask a cascade changed: its audience sees one activity entry for it. */
export interface CascadedChange {
  id: string;
  changes: FieldChanges;
}

/**
 * Subtasks: where a task may hang (checks on create and patch) and what follows a parent (its
 * descendants trashed, restored, completed or reset with it, inside the parent's unit of work).
 * The walks are recursive SQL over tasks_parent_idx.
 */
@Injectable()
export class TaskHierarchy {
  constructor(
    private readonly em: EntityManager,
    private readonly tasks: TaskRepository,
    private readonly access: TaskAccess,
  ) {}

  private sql(text: string): string {
    const meta = this.em.getMetadata(Task);
    const column = (property: keyof Task & string) => `"${meta.properties[property].fieldNames[0]}"`;
    return text.replaceAll('{tasks}', `"${meta.tableName}"`).replace(/\{(\w+)\}/g, (_match, property: string) => column(property as keyof Task & string));
  }

  /**
   * Refuses (400 naming the field) a parent the caller cannot edit or in another category, a new
   * task deeper than MAX_TASK_DEPTH, and a category change that would split a task from its parent
   * or its subtasks. `values` are the placed values (final category).
   */
  async check(userId: string, values: TaskValues, current?: ReadableTask): Promise<void> {
    const categoryAfter = values.category !== undefined ? values.category : (current?.category ?? null);
    const parentAfter = values.parent !== undefined ? values.parent : (current?.parent ?? null);
    const movesCategory = current !== undefined && categoryAfter !== current.category;
    if (movesCategory && current.subtasks.total > 0) {
      throw categoryProblem('a task with subtasks keeps its category: move its subtasks out first (parentId: null)');
    }
    if (parentAfter === (current?.parent ?? null)) {
      if (movesCategory && parentAfter !== null) {
        throw categoryProblem("a subtask stays in its parent's category: set parentId to null to move it");
      }
      return;
    }
    if (parentAfter === null) {
      return;
    }
    const parent = await this.tasks.findLive(userId, parentAfter);
    if (!parent || !this.access.canEdit(userId, parent)) {
      throw parentProblem('parentId must be a live task you can edit');
    }
    if (parent.category !== categoryAfter || (categoryAfter === null && parent.user !== (current?.user ?? userId))) {
      throw parentProblem('parentId must be in the same category as the task (or both in none)');
    }
    // A change of parent is checked for cycles and depth inside its write, after the list owner's
    // lock (TaskWriter); a new task has no subtasks to loop through, only a depth to respect.
    if (current === undefined) {
      await this.checkPlace(undefined, parent.id);
    }
  }

  /**
   * No cycle and no fifth level once `taskId` (undefined for a new task) hangs under `parentId`.
   * Run again inside the write, after the list owner's lock (TaskWriter), so two concurrent
   * re-parentings in one list see each other and cannot close a loop.
   */
  async checkPlace(taskId: string | undefined, parentId: string): Promise<void> {
    const ancestors = await this.ancestorsOf(parentId);
    if (taskId !== undefined && ancestors.includes(taskId)) {
      throw parentProblem('parentId cannot be the task itself or one of its subtasks');
    }
    const levelsBelow = taskId === undefined ? 0 : await this.levelsBelow(taskId);
    if (ancestors.length + 1 + levelsBelow > MAX_TASK_DEPTH) {
      throw parentProblem(`subtasks nest at most ${MAX_TASK_DEPTH} levels deep (this would make ${ancestors.length + 1 + levelsBelow})`);
    }
  }

  /** The task and its ancestors, nearest first. */
  private async ancestorsOf(taskId: string): Promise<string[]> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      this.sql(`with recursive up(id, parent, depth) as (
          select {id}, {parent}, 1 from {tasks} where {id} = ?
          union all select t.{id}, t.{parent}, up.depth + 1 from {tasks} t join up on t.{id} = up.parent where up.depth < ${WALK_LIMIT})
        select id from up order by depth`),
      [taskId],
    );
    return rows.map((row) => row.id);
  }

  /** How many levels of subtasks (trashed ones too) hang below the task: 0 for none. */
  private async levelsBelow(taskId: string): Promise<number> {
    const [row] = await this.em.execute<Array<{ levels: number }>>(
      this.sql(`with recursive down(id, depth) as (
          select {id}, 1 from {tasks} where {parent} = ?
          union all select t.{id}, down.depth + 1 from {tasks} t join down on t.{parent} = down.id where down.depth < ${WALK_LIMIT})
        select coalesce(max(depth), 0)::int as levels from down`),
      [taskId],
    );
    return row.levels;
  }

  /**
   * Applies `set` to the descendants of `taskId` that `where` selects (SQL over the alias `t`),
   * each with a new version, and answers each one's changes for the activity log. `fields` maps
   * the API's field names to the columns compared before and after.
   */
  private async cascade(taskId: string, where: string, set: string, params: unknown[], fields: Record<string, string>): Promise<CascadedChange[]> {
    const select = Object.entries(fields).flatMap(([field, column]) => [`before_change.${column} as "${field}_from"`, `t.${column} as "${field}_to"`]);
    const rows = await this.em.execute<Array<Record<string, unknown> & { id: string }>>(
      this.sql(`with recursive down(id, depth) as (
          select {id}, 1 from {tasks} where {parent} = ?
          union all select t.{id}, down.depth + 1 from {tasks} t join down on t.{parent} = down.id where down.depth < ${WALK_LIMIT}),
        before_change as (select t.* from {tasks} t join down on t.{id} = down.id where ${where} for no key update of t)
        update {tasks} t set ${set}, {version} = t.{version} + 1, {updatedAt} = ?
          from before_change where t.{id} = before_change.{id}
        returning t.{id} as id, ${select.join(', ')}`),
      [taskId, ...params],
    );
    const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
    return rows.map((row) => ({
      id: row.id,
      changes: Object.fromEntries(
        Object.keys(fields)
          .filter((field) => iso(row[`${field}_from`]) !== iso(row[`${field}_to`]))
          .map((field) => [field, { from: iso(row[`${field}_from`]), to: iso(row[`${field}_to`]) }]),
      ),
    }));
  }

  /** Completing a task completes its open live descendants. */
  completeOpenDescendants(taskId: string, now: Date): Promise<CascadedChange[]> {
    return this.cascade(taskId, `t.{deletedAt} is null and t.{status} <> 'completed'`, `{status} = 'completed', {completedAt} = ?`, [now, now], {
      status: '{status}',
      completedAt: '{completedAt}',
    });
  }

  /** A recurring task moving on to its next due date starts its live descendants over. */
  resetDescendants(taskId: string, now: Date): Promise<CascadedChange[]> {
    return this.cascade(taskId, `t.{deletedAt} is null and t.{status} <> 'pending'`, `{status} = 'pending', {completedAt} = null`, [now], {
      status: '{status}',
      completedAt: '{completedAt}',
    });
  }

  /** Trashing a task trashes its live descendants, at the same instant (which is how restore finds them). */
  trashDescendants(taskId: string, deletedAt: Date, now: Date): Promise<CascadedChange[]> {
    return this.cascade(taskId, `t.{deletedAt} is null`, `{deletedAt} = ?`, [deletedAt, now], { deletedAt: '{deletedAt}' });
  }

  /** Restoring a task restores the descendants trashed with it (those trashed at the same instant). */
  restoreDescendants(taskId: string, trashedAt: Date, now: Date): Promise<CascadedChange[]> {
    return this.cascade(taskId, `t.{deletedAt} = ?`, `{deletedAt} = null`, [trashedAt, now], { deletedAt: '{deletedAt}' });
  }
}
