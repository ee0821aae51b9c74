import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Task, type TaskRecord } from './task.entity.js';
import { TaskPositions } from './task-positions.js';

/**
 * The writes to many tasks at once that sharing causes: a category deleted (its tasks detached),
 * a member leaving (unassigned), an account deleted (what it created or was assigned handed
 * over). Only the tasks module writes `tasks`; single-task writes stay in TaskRepository.
 */
@Injectable()
export class TaskOwnershipChanges {
  constructor(
    private readonly em: EntityManager,
    private readonly positions: TaskPositions,
  ) {}

  /** The column behind an entity property, from the metadata. */
  private column(property: keyof Task & string): string {
    return this.em.getMetadata(Task).properties[property].fieldNames[0];
  }

  private async select(where: object): Promise<TaskRecord[]> {
    return (await this.em.createQueryBuilder(Task, 'task').select('*').where(where).execute('all')) as TaskRecord[];
  }

  /** Every task (trash included) filed under the category, whoever owns it. */
  async findInCategory(categoryId: string): Promise<TaskRecord[]> {
    return this.select({ category: categoryId });
  }

  /** Live tasks of the category, for a member joining or leaving it. */
  async findLiveInCategory(categoryId: string): Promise<TaskRecord[]> {
    return this.select({ category: categoryId, deletedAt: null });
  }

  /**
   * Clears the category of these tasks, bumping each version (their representation changed); each
   * becomes private to its creator again (its owner when the creator is gone), unassigned unless
   * assigned to that creator, and goes to the end of that person's uncategorised list in its old
   * order. Each new owner's row is locked first (in id order), as a create locks it, so the places
   * handed out are read after any create's. One statement over a values list, which the
   * QueryBuilder cannot say; names from the metadata.
   */
  async detach(tasks: TaskRecord[], now: Date): Promise<void> {
    if (tasks.length === 0) {
      return;
    }
    const byNewOwner = new Map<string, TaskRecord[]>();
    for (const task of tasks.toSorted((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))) {
      const owner = task.createdBy ?? task.user;
      byNewOwner.set(owner, [...(byNewOwner.get(owner) ?? []), task]);
    }
    const places: Array<{ id: string; position: string }> = [];
    for (const [owner, owned] of [...byNewOwner].toSorted(([a], [b]) => (a < b ? -1 : 1))) {
      await this.positions.lockOwner(owner);
      const keys = await this.positions.manyAtEnd({ user: owner }, owned.length);
      places.push(...owned.map((task, index) => ({ id: task.id, position: keys[index] })));
    }
    const column = (property: keyof Task & string) => `"${this.column(property)}"`;
    const owner = `coalesce(task.${column('createdBy')}, task.${column('user')})`;
    await this.em.execute(
      `update "${this.em.getMetadata(Task).tableName}" task
          set ${column('category')} = null, ${column('user')} = ${owner}, ${column('parent')} = null,
              ${column('assignee')} = case when task.${column('assignee')} = ${owner} then task.${column('assignee')} end,
              ${column('position')} = place.position, ${column('updatedAt')} = ?, ${column('version')} = task.${column('version')} + 1
         from jsonb_to_recordset(?::jsonb) as place(id uuid, position text)
        where task.${column('id')} = place.id`,
      [now, JSON.stringify(places)],
      'run',
    );
  }

  /** Unassigns the user from these tasks, bumping each version. */
  async unassign(tasks: TaskRecord[], now: Date): Promise<void> {
    if (tasks.length === 0) {
      return;
    }
    await this.em.nativeUpdate(
      Task,
      { id: { $in: tasks.map((task) => task.id) } },
      { assignee: null, updatedAt: now, version: raw(`${this.column('version')} + 1`) },
    );
  }

  /** Tasks of the category assigned to the user, trash included. */
  async findAssignedInCategory(categoryId: string, userId: string): Promise<TaskRecord[]> {
    return this.select({ category: categoryId, assignee: userId });
  }

  /** Tasks in other users' categories that the user created or is assigned to, trash included. */
  async findTouchedBy(userId: string): Promise<TaskRecord[]> {
    return this.select({ user: { $ne: userId }, $or: [{ createdBy: userId }, { assignee: userId }] });
  }

  /** The user's live tasks filed in their categories (shared or not), for their members' feeds. */
  async findLiveOwnedInCategories(userId: string): Promise<TaskRecord[]> {
    return this.select({ user: userId, category: { $ne: null }, deletedAt: null });
  }

  /**
   * A departing user's tasks pass to their owners: the owner becomes the creator where the user
   * was, the user is unassigned; each gets a new version.
   */
  async handOver(tasks: TaskRecord[], userId: string, now: Date): Promise<void> {
    if (tasks.length === 0) {
      return;
    }
    const createdBy = this.column('createdBy');
    const assignee = this.column('assignee');
    await this.em.nativeUpdate(
      Task,
      { id: { $in: tasks.map((task) => task.id) } },
      {
        createdBy: raw(`case when ${createdBy} = ? then ${this.column('user')} else ${createdBy} end`, [userId]),
        assignee: raw(`case when ${assignee} = ? then null else ${assignee} end`, [userId]),
        updatedAt: now,
        version: raw(`${this.column('version')} + 1`),
      },
    );
  }
}
