import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { ActivityRepository } from './activity.repository.js';

export const ACTIVITY_ENTITY_TYPES = ['task', 'category'] as const;
export type ActivityEntityType = (typeof ACTIVITY_ENTITY_TYPES)[number];

/**
 * move = a task placed elsewhere in its list (changes.position);
 * delete = moved to the trash (tasks) or deleted (categories); purge = a trashed task deleted for
 * good; member_add/member_role/member_remove = a category's members changed (changes.member);
 * access_granted/access_revoked = the entity became visible or invisible to the stream's owner
 * (a share accepted, a membership ended, a task moved), written only to that owner's stream.
 */
export const ACTIVITY_ACTIONS = [
  'create',
  'update',
  'toggle',
  'move',
  'delete',
  'restore',
  'purge',
  'detach',
  'member_add',
  'member_role',
  'member_remove',
  'access_granted',
  'access_revoked',
] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

/** Field name (as the API names it) -> its value before and after the change. */
export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/**
 * One change to a task or category, written in the same transaction as the change itself.
 * `seq` numbers the entries of one owner's stream in commit order (ActivityStream), which is
 * what keyset pages and, later, change-feed readers rely on: a higher seq never commits earlier.
 */
@Entity({ tableName: 'activity', repository: () => ActivityRepository })
@Unique({ name: 'activity_user_seq_unique', properties: ['user', 'seq'] })
@Index({ name: 'activity_user_entity_seq_idx', properties: ['user', 'entityId', 'seq'] })
// The retention job deletes by age across every user.
@Index({ name: 'activity_at_idx', properties: ['at'] })
export class Activity {
  [EntityRepositoryType]?: ActivityRepository;

  [OptionalProps]?: 'at';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id: string;

  /** The owner of the changed entity: whose stream the entry belongs to. */
  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user: Rel<User>;

  @Property({ type: 'bigint' })
  seq: string;

  /** Who made the change; null for the server's own jobs (trash retention) or a deleted account. */
  @ManyToOne({ entity: () => User, deleteRule: 'set null', nullable: true })
  actor: Rel<User> | null;

  @Enum({ items: [...ACTIVITY_ENTITY_TYPES], type: 'string' })
  entityType: ActivityEntityType;

  @Property({ type: 'uuid' })
  entityId: string;

  @Enum({ items: [...ACTIVITY_ACTIONS], type: 'string' })
  action: ActivityAction;

  @Property({ type: 'json' })
  changes: FieldChanges;

  /** The request's id as the logs show it (a client's X-Request-Id is kept up to 128 characters). */
  @Property({ type: 'string', length: 128, nullable: true })
  requestId: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  at: Date;
}
