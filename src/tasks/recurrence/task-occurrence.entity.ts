import type { Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../../database/uuid-primary-key.js';
import { Task } from '../task.entity.js';

/**
 * A completed occurrence of a recurring task: the due date it had and when it was completed,
 * written in the same transaction that moves the task on to its next due date. Deleted with the
 * task; at most MAX_OCCURRENCES_PER_TASK are kept (the oldest go first).
 */
@Entity({ tableName: 'task_occurrences' })
// The task's history, newest first, keyset-paged.
@Index({ name: 'task_occurrences_task_completed_idx', properties: ['task', 'completedAt', 'id'] })
export class TaskOccurrence {
  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @ManyToOne({ entity: () => Task, deleteRule: 'cascade', hidden: true })
  task: Rel<Task>;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  dueDate: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  completedAt: Date;

  constructor(task: Rel<Task>, dueDate: Date, completedAt: Date) {
    this.task = task;
    this.dueDate = dueDate;
    this.completedAt = completedAt;
  }
}
