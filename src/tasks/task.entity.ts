import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import {
  Entity,
  Enum,
  Index,
  ManyToOne,
  PrimaryKey,
  Property,
  Trigger,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { Category } from '../categories/category.entity.js';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import type { UserSummary } from '../users/dto/user-summary.dto.js';
import { User } from '../users/user.entity.js';
import { TaskRepository } from './task.repository.js';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from './task-enums.js';
import type { TaskRecurrence } from './recurrence/task-recurrence.js';

/**
 * Keeps users.task_count equal to the user's number of tasks, for the task quota
 * (TaskRepository.insertWithinQuota): one UPDATE per statement and owner however many rows the
 * statement inserts or deletes (bulk SQL and FK cascades included).
 */
const taskCountTrigger = (name: string, event: 'insert' | 'delete', sign: '+' | '-') => ({
  name,
  timing: 'after' as const,
  events: [event],
  forEach: 'statement' as const,
  expression: `create or replace function "tasks_${name}_fn"() returns trigger as $$ begin
  update "users" u set "task_count" = u."task_count" ${sign} changed.count
    from (select "user_id", count(*)::int as count from changed_tasks group by "user_id") changed
   where u."id" = changed."user_id";
  return null;
end; $$ language plpgsql;
create trigger "${name}" after ${event} on "tasks"
  referencing ${event === 'insert' ? 'new' : 'old'} table as changed_tasks
  for each statement execute function "tasks_${name}_fn"()`,
});

/**
 * A task changes owner when it moves into another user's shared category or back out of one
 * (the owner of a task is the owner of its category): the count moves with it.
 */
const taskOwnerChangeTrigger = {
  name: 'task_count_moved',
  timing: 'after' as const,
  events: ['update' as const],
  forEach: 'statement' as const,
  expression: `create or replace function "tasks_task_count_moved_fn"() returns trigger as $$ begin
  update "users" u set "task_count" = u."task_count" + moved.delta
    from (select "user_id", sum(delta)::int as delta from (
            select n."user_id", 1 as delta from new_tasks n join old_tasks o on o."id" = n."id" where o."user_id" <> n."user_id"
            union all
            select o."user_id", -1 from new_tasks n join old_tasks o on o."id" = n."id" where o."user_id" <> n."user_id") d
          group by "user_id") moved
   where u."id" = moved."user_id";
  return null;
end; $$ language plpgsql;
create trigger "task_count_moved" after update on "tasks"
  referencing old table as old_tasks new table as new_tasks
  for each statement execute function "tasks_task_count_moved_fn"()`,
};

/** Every list and sort reads only tasks outside the trash, so its indexes leave trashed rows out. */
const LIVE = 'deleted_at is null';

/**
 * Indexes follow the list query: the owner first (equality), then the sort key, then `id` as the
 * tie-breaker that makes keyset pagination total. `priority_rank` lets priority sort by rank
 * (high > medium > low) on a plain index instead of an alphabetical one.
 */
@Entity({ tableName: 'tasks', repository: () => TaskRepository })
@Trigger(taskCountTrigger('task_count_up', 'insert', '+'))
@Trigger(taskCountTrigger('task_count_down', 'delete', '-'))
@Trigger(taskOwnerChangeTrigger)
@Index({ name: 'tasks_user_created_at_idx', properties: ['user', 'createdAt', 'id'], where: LIVE })
@Index({ name: 'tasks_user_updated_at_idx', properties: ['user', 'updatedAt', 'id'], where: LIVE })
@Index({ name: 'tasks_user_due_date_idx', properties: ['user', 'dueDate', 'id'], where: LIVE })
// Due dates sort nulls last both ways; a backward scan of the index above would put them first.
@Index({
  name: 'tasks_user_due_date_desc_idx',
  expression:
    'create index "tasks_user_due_date_desc_idx" on "tasks" ("user_id", "due_date" desc nulls last, "id" desc) where deleted_at is null',
})
@Index({ name: 'tasks_user_priority_idx', properties: ['user', 'priorityRank', 'id'], where: LIVE })
@Index({ name: 'tasks_user_status_idx', properties: ['user', 'status', 'createdAt', 'id'], where: LIVE })
@Index({ name: 'tasks_user_title_idx', properties: ['user', 'title', 'id'], where: LIVE })
@Index({ name: 'tasks_user_category_idx', properties: ['user', 'category'], where: LIVE })
// The same sorts within one category: a member's list merges one index scan per shared category.
@Index({ name: 'tasks_category_created_at_idx', properties: ['category', 'createdAt', 'id'], where: LIVE })
@Index({ name: 'tasks_category_updated_at_idx', properties: ['category', 'updatedAt', 'id'], where: LIVE })
@Index({ name: 'tasks_category_due_date_idx', properties: ['category', 'dueDate', 'id'], where: LIVE })
@Index({
  name: 'tasks_category_due_date_desc_idx',
  expression:
    'create index "tasks_category_due_date_desc_idx" on "tasks" ("category_id", "due_date" desc nulls last, "id" desc) where deleted_at is null',
})
@Index({ name: 'tasks_category_priority_idx', properties: ['category', 'priorityRank', 'id'], where: LIVE })
@Index({ name: 'tasks_category_title_idx', properties: ['category', 'title', 'id'], where: LIVE })
// Account deletion hands the tasks a user created in others' categories to those owners, and
// removing a member unassigns them.
@Index({ name: 'tasks_created_by_idx', properties: ['createdBy'] })
@Index({ name: 'tasks_assignee_idx', properties: ['assignee'] })
// A task's subtasks (their counts on every read, the cascades of trash, restore and completion).
@Index({ name: 'tasks_parent_idx', properties: ['parent'] })
// ON DELETE SET NULL and the detach on category deletion look tasks up by category alone.
@Index({ name: 'tasks_category_id_idx', properties: ['category'] })
// The trash list (newest first) and the retention job's scan of old trash.
@Index({ name: 'tasks_user_trash_idx', properties: ['user', 'deletedAt', 'id'], where: 'deleted_at is not null' })
@Index({ name: 'tasks_category_trash_idx', properties: ['category', 'deletedAt', 'id'], where: 'deleted_at is not null' })
@Index({ name: 'tasks_trash_deleted_at_idx', properties: ['deletedAt'], where: 'deleted_at is not null' })
// Manual order: one key per place in a list (a category's tasks, or an owner's uncategorised
// ones), trash included, so a trashed task keeps its place; and the sort=position walks.
@Index({ name: 'tasks_user_position_idx', properties: ['user', 'position', 'id'], where: LIVE })
@Index({ name: 'tasks_category_position_idx', properties: ['category', 'position', 'id'], where: LIVE })
@Unique({ name: 'tasks_category_position_unique', properties: ['category', 'position'], where: 'category_id is not null' })
@Unique({ name: 'tasks_private_position_unique', properties: ['user', 'position'], where: 'category_id is null' })
// A label filter within one owner's or one category's tasks: GIN over (owner or category, label
// keys), btree_gin giving the uuid its GIN operator class.
@Index({
  name: 'tasks_user_label_keys_idx',
  expression: 'create index "tasks_user_label_keys_idx" on "tasks" using gin ("user_id", "label_keys") where deleted_at is null',
})
@Index({
  name: 'tasks_category_label_keys_idx',
  expression: 'create index "tasks_category_label_keys_idx" on "tasks" using gin ("category_id", "label_keys") where deleted_at is null',
})
export class Task {
  [EntityRepositoryType]?: TaskRepository;

  [OptionalProps]?:
    | 'status'
    | 'priority'
    | 'priorityRank'
    | 'createdAt'
    | 'updatedAt'
    | 'version'
    | 'completedAt'
    | 'deletedAt'
    | 'createdBy'
    | 'assignee'
    | 'labels'
    | 'labelKeys'
    | 'recurrence'
    | 'parent';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @Property({ type: 'string', length: 200 })
  title: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Enum({ items: [...TASK_STATUSES], type: 'string', default: 'pending' })
  status: TaskStatus = 'pending';

  @Enum({ items: [...TASK_PRIORITIES], type: 'string', default: 'medium' })
  priority: TaskPriority = 'medium';

  @Property({
    type: 'smallint',
    generated: "(case priority when 'high' then 3 when 'medium' then 2 else 1 end) stored",
    hidden: true,
  })
  priorityRank?: number;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  dueDate: Date | null = null;

  /** As the client wrote them, trimmed, each once ignoring case, in the client's order. */
  @Property({ type: 'text[]', defaultRaw: "'{}'" })
  labels: string[] = [];

  /**
   * The labels lower-cased, which filters and the label routes compare: written with `labels` and
   * only from them (labelKeysOf), never on their own.
   */
  @Property({ type: 'text[]', defaultRaw: "'{}'", hidden: true })
  labelKeys: string[] = [];

  /**
   * Its place in its list for drag and drop: a fractional-indexing key, compared byte by byte
   * (collation C, the order the keys are generated in). Set by the server: at the end of the list
   * on create or when the task changes list, between two neighbours on a move (TaskPositions).
   */
  // A row inserted by hand (an import, a test's bulk insert) gets a random valid key, somewhere in
  // its list; written as PostgreSQL prints it back, so the schema diff sees no change.
  @Property({
    type: 'string',
    columnType: 'text',
    collation: 'C',
    defaultRaw: `(('a0'::text || replace((gen_random_uuid())::text, '-'::text, ''::text)) || 'V'::text)`,
  })
  position: string;

  /**
   * An RRULE read in a time zone from `startsAt` (the series' start), or null: completing the task
   * records the occurrence and moves dueDate to the next one (TaskRecurrences).
   */
  @Property({ type: 'json', nullable: true })
  recurrence: TaskRecurrence | null = null;

  /** Owned by the server: set when the task becomes completed, cleared when it leaves that state. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  completedAt: Date | null = null;

  /**
   * The owner: the owner of the task's category, or for an uncategorised task its creator. Every
   * list and quota is scoped by it; members of a shared category reach its tasks through the category.
   */
  @ManyToOne({ entity: () => User, deleteRule: 'cascade', hidden: true })
  user: Rel<User>;

  /** Who created it; null only once that account is gone and the task stayed with another owner. */
  @ManyToOne({ entity: () => User, deleteRule: 'set null', nullable: true })
  createdBy: Rel<User> | null = null;

  /** The owner or a member of its category; for a private task, its creator. */
  @ManyToOne({ entity: () => User, deleteRule: 'set null', nullable: true })
  assignee: Rel<User> | null = null;

  @ManyToOne({ entity: () => Category, deleteRule: 'set null', nullable: true })
  category: Rel<Category> | null = null;

  /**
   * The task this one is a step of: in the same category (or both in none), at most four levels
   * deep, never its own descendant (TaskHierarchy). Trashed, restored and completed with it.
   */
  @ManyToOne({ entity: () => Task, deleteRule: 'set null', nullable: true })
  parent: Rel<Task> | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({
    type: 'datetime',
    columnType: 'timestamptz',
    defaultRaw: 'now()',
    onUpdate: () => new Date(),
  })
  updatedAt: Date = new Date();

  /** Optimistic lock: every update checks and bumps it, and it feeds the ETag. */
  @Property({ type: 'integer', version: true, default: 1 })
  version: number = 1;

  /** In the trash since then (absent from every read but the trash), or null. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt: Date | null = null;

  constructor(user: Rel<User>, title: string, position: string) {
    this.user = user;
    this.title = title;
    this.position = position;
  }
}

/**
 * A task as the repository's queries answer it: every column of the entity under its property
 * name (QueryBuilder `execute('all')` maps them from the metadata), relations as their ids.
 * Adding a property to the entity adds it here: creation (TasksService.create) fails to compile
 * until it sets it, and test/entity-contract.e2e-spec.ts fails until the response carries it.
 */
export type TaskRecord = Omit<Task, 'user' | 'category' | 'parent' | 'createdBy' | 'assignee' | typeof EntityRepositoryType | typeof OptionalProps> & {
  user: string;
  category: string | null;
  parent: string | null;
  createdBy: string | null;
  assignee: string | null;
};

/** Set by the server alone, never from a request body. */
type ServerOwned = 'id' | 'user' | 'createdBy' | 'completedAt' | 'createdAt' | 'updatedAt' | 'version' | 'deletedAt' | 'priorityRank' | 'labelKeys' | 'position';

/** The properties a client may set on create and change on patch, as the entity names them. */
export type TaskValues = Partial<Omit<TaskRecord, ServerOwned>>;

/** Timestamps either as dates, or as the ISO 8601 text a page query selects them as. */
type DatesOrIsoText<T> = { [K in keyof T]: T[K] extends Date ? Date | string : T[K] extends Date | null ? Date | string | null : T[K] };

/**
 * What the response mapping takes: a record, or a row of a page query, with the people on the
 * task (creator, assignee) as the summaries reads select them as.
 */
export type TaskRow = Omit<DatesOrIsoText<TaskRecord>, 'createdBy' | 'assignee'> & {
  createdBy: UserSummary | null;
  assignee: UserSummary | null;
  /** Its live subtasks, counted by the read. */
  subtasks: SubtaskCounts;
};

export interface SubtaskCounts {
  total: number;
  completed: number;
}
