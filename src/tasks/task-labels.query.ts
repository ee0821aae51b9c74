import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Task } from './task.entity.js';

/** One label of an owner's tasks: its key, the spelling most of those tasks use, how many carry it. */
export interface LabelCount {
  key: string;
  name: string;
  taskCount: number;
}

/** A task carrying a label, as the label routes lock and rewrite it. */
export interface LabelledTask {
  id: string;
  category: string | null;
  labels: string[];
  version: number;
}

const columnsOf = (em: EntityManager) => {
  const metadata = em.getMetadata(Task);
  const column = (property: keyof Task & string) => `"${metadata.properties[property].fieldNames[0]}"`;
  return { table: `"${metadata.tableName}"`, column };
};

/**
 * The labels of the owner's live tasks in key order after `afterKey`, `limit` of them. unnest and
 * a grouped mode() are SQL the QueryBuilder cannot say; the names come from the metadata. The
 * owner's tasks are bounded by the task quota, and the (owner, label keys) GIN index is not needed
 * for a scan of all of them.
 */
export async function countLabels(em: EntityManager, ownerId: string, afterKey: string | undefined, limit: number): Promise<LabelCount[]> {
  const { table, column } = columnsOf(em);
  return em.getConnection('read').execute<LabelCount[]>(
    `select label.key, mode() within group (order by label.name) as name, count(*)::int as "taskCount"
       from ${table} task cross join lateral unnest(task.${column('labels')}, task.${column('labelKeys')}) as label(name, key)
      where task.${column('user')} = ? and task.${column('deletedAt')} is null ${afterKey === undefined ? '' : 'and label.key > ?'}
      group by label.key order by label.key limit ?`,
    [ownerId, ...(afterKey === undefined ? [] : [afterKey]), limit],
  );
}

/** The owner's tasks (live and trashed) carrying the label, locked for the rest of the unit of work. */
export async function lockTasksWithLabel(em: EntityManager, ownerId: string, key: string): Promise<LabelledTask[]> {
  const rows = await em
    .createQueryBuilder(Task, 'task')
    .select(['id', 'category', 'labels', 'version'])
    .where({ user: ownerId, labelKeys: { $contains: [key] } })
    // In id order, so two label changes of one owner lock the same rows in the same order.
    .orderBy({ id: 'asc' })
    .setLockMode(LockMode.PESSIMISTIC_WRITE)
    // Mapped: property names (`category`, the id), as LabelledTask says. Unmapped rows name the
    // column (`category_id`), leaving `category` undefined: the audience read then had no category.
    .execute('all');
  return rows as unknown as LabelledTask[];
}

/**
 * Writes new labels (and their keys) to locked tasks in one statement, each with its next version
 * and `updatedAt`: a values list joined to the table, which the QueryBuilder cannot say.
 */
export async function writeLabels(em: EntityManager, changes: Array<{ id: string; labels: string[]; labelKeys: string[] }>, now: Date): Promise<void> {
  if (changes.length === 0) {
    return;
  }
  const { table, column } = columnsOf(em);
  await em.execute(
    `update ${table} task set ${column('labels')} = change.labels, ${column('labelKeys')} = change.label_keys,
            ${column('version')} = task.${column('version')} + 1, ${column('updatedAt')} = ?
       from jsonb_to_recordset(?::jsonb) as change(id uuid, labels text[], label_keys text[])
      where task.${column('id')} = change.id`,
    [now, JSON.stringify(changes.map(({ id, labels, labelKeys }) => ({ id, labels, label_keys: labelKeys })))],
    'run',
  );
}
