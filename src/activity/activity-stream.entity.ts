import type { Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';

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
