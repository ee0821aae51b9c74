import type { Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

/**
 * The PostgreSQL NOTIFY channel told the owner's id when entries of their stream commit (the
 * change feed's long-poll waits on it, at every instance).
 */
export const STREAM_APPENDED_CHANNEL = 'activity_stream_appended';

/**
 * The last activity number handed out per owner. Bumping it locks the row until the writing
 * transaction ends, so one owner's entries get their numbers in the order they commit.
 */
@Entity({ tableName: 'activity_streams' })
export class ActivityStream {
  @ManyToOne({ entity: () => User, primary: true, deleteRule: 'cascade' })
  user: Rel<User>;

  @Property({ type: 'bigint' })
  lastSeq: string;
}
