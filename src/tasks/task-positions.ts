import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApiProblemException, validationProblem } from '../common/errors/api-problem.exception.js';
import { BoundValues, StatementTemplates } from '../database/statement-templates.js';
import { User } from '../users/user.entity.js';
import { Task } from './task.entity.js';

/** A manually ordered list: one category's tasks, or one owner's tasks in no category. */
export type TaskList = { category: string } | { user: string };

export const listOf = (task: { user: string; category: string | null }): TaskList =>
  task.category === null ? { user: task.user } : { category: task.category };

/**
 * Keys stay far below PostgreSQL's btree entry limit (about 2.7 kB): only thousands of moves into
 * one ever narrower gap grow a key this long, and the neighbours can be moved apart first.
 */
const MAX_KEY_LENGTH = 200;

/**
 * The last-position read, one statement per kind of list, built once: every create sends it, and
 * building it cost more than running it (docs/PERFORMANCE.md, "Access reads built once").
 */
const LAST_POSITION = new StatementTemplates(2);

const POSITION_INDEXES = new Set(['tasks_category_position_unique', 'tasks_private_position_unique']);

/** Another transaction gave the same key in the same list first (the loser retries on fresh rows). */
export const isPositionTaken = (error: unknown): boolean =>
  error instanceof UniqueConstraintViolationException && POSITION_INDEXES.has((error as { constraint?: string }).constraint ?? '');

const tooDense = () =>
  new ApiProblemException(409, 'The order between these neighbours is too fine to split again: move one of the neighbours first.', {
    type: 'conflict',
  });

/**
 * Where tasks stand in their list, as fractional-indexing keys (the `fractional-indexing`
 * package): a move writes one key between its neighbours' and no other row. Keys are unique per
 * list, trash included (tasks_category_position_unique, tasks_private_position_unique), so two
 * writes that pick the same key cannot both commit; TaskWriter retries the loser on fresh rows.
 */
@Injectable()
export class TaskPositions {
  constructor(private readonly em: EntityManager) {}

  private listWhere(list: TaskList) {
    return 'category' in list ? { category: list.category } : { user: list.user, category: null };
  }

  /** The key after the last task of the list (trash included): where a task joining it goes. */
  async atEnd(list: TaskList): Promise<string> {
    return generateKeyBetween(await this.last(list), null);
  }

  /** `count` keys in order after the last task of the list. */
  async manyAtEnd(list: TaskList, count: number): Promise<string[]> {
    return generateNKeysBetween(await this.last(list), null, count);
  }

  private async last(list: TaskList): Promise<string | null> {
    const bound = new BoundValues();
    const where = this.listWhere('category' in list ? { category: bound.bind(list.category) } : { user: bound.bind(list.user) });
    const [row] = await LAST_POSITION.rows(this.em, 'category' in list ? 'category' : 'owner', bound, () =>
      this.em.createQueryBuilder(Task, 'task').select(['position']).where(where).orderBy({ position: 'desc' }).limit(1),
    );
    return row?.[this.em.getMetadata(Task).properties.position.fieldNames[0]] ?? null;
  }

  /**
   * Locks the owner's row (as a create does before it counts the quota), so positions handed out
   * at the end of that owner's lists by different transactions are read one after the other.
   */
  async lockOwner(ownerId: string): Promise<void> {
    const users = this.em.getMetadata(User);
    // FOR NO KEY UPDATE, as TaskRepository.insertWithinQuota: FOR UPDATE would block the FK checks of rows pointing at the user.
    await this.em.execute(`select 1 from "${users.tableName}" where "${users.properties.id.fieldNames[0]}" = ? for no key update`, [ownerId]);
  }

  /**
   * The key that puts a task of `list` right after `after`, or right before `before` (ids of live
   * tasks of the same list). With both, `after` must come before `before`, and the task goes right
   * after `after`: if another task landed between the two meanwhile, the order the client saw is
   * still kept. Read under the list owner's lock, so neighbours are the committed ones.
   */
  async between(taskId: string, list: TaskList, neighbours: { after?: string; before?: string }): Promise<string> {
    const found = await this.neighbours(taskId, list, neighbours);
    if (found.after !== undefined && found.before !== undefined && found.after >= found.before) {
      throw validationProblem([{ field: 'after', message: 'after must come before before in the list' }]);
    }
    const key =
      found.after !== undefined
        ? generateKeyBetween(found.after, await this.adjacent(taskId, list, found.after, 'next'))
        : generateKeyBetween(await this.adjacent(taskId, list, found.before!, 'previous'), found.before!);
    if (key.length > MAX_KEY_LENGTH) {
      throw tooDense();
    }
    return key;
  }

  /** The neighbours' keys; each must be a live task of the same list, other than the one moved. */
  private async neighbours(taskId: string, list: TaskList, neighbours: { after?: string; before?: string }) {
    const ids = Object.values(neighbours).filter((id): id is string => id !== undefined);
    const rows = (await this.em
      .createQueryBuilder(Task, 'task')
      .select(['id', 'position'])
      .where({ ...this.listWhere(list), id: { $in: ids }, deletedAt: null })
      .execute('all', false)) as unknown as Array<{ id: string; position: string }>;
    const keyOf = (field: 'after' | 'before') => {
      const id = neighbours[field];
      if (id === undefined) {
        return undefined;
      }
      const row = rows.find((candidate) => candidate.id === id);
      if (!row || id === taskId) {
        throw validationProblem([{ field, message: `${field} must be another live task of the same list (its category, or your tasks in no category)` }]);
      }
      return row.position;
    };
    return { after: keyOf('after'), before: keyOf('before') };
  }

  /** The key of the task next to `key` in the list (trashed ones hold their places), skipping the moved task; null at an end. */
  private async adjacent(taskId: string, list: TaskList, key: string, direction: 'next' | 'previous'): Promise<string | null> {
    const [row] = (await this.em
      .createQueryBuilder(Task, 'task')
      .select(['position'])
      .where({ ...this.listWhere(list), position: direction === 'next' ? { $gt: key } : { $lt: key }, id: { $ne: taskId } })
      .orderBy({ position: direction === 'next' ? 'asc' : 'desc' })
      .limit(1)
      .execute('all', false)) as unknown as Array<{ position: string }>;
    return row?.position ?? null;
  }
}
