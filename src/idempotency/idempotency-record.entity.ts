import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { IdempotencyRepository } from './idempotency.repository.js';

/**
 * The answer to a write sent with an Idempotency-Key, stored in the write's own transaction: a
 * repeat of the same request gets it again instead of a second effect, until `expiresAt`.
 */
@Entity({ tableName: 'idempotency_records', repository: () => IdempotencyRepository })
// The retention job deletes by expiry across every user.
@Index({ name: 'idempotency_records_expires_at_idx', properties: ['expiresAt'] })
export class IdempotencyRecord {
  [EntityRepositoryType]?: IdempotencyRepository;

  [OptionalProps]?: 'createdAt';

  @ManyToOne({ entity: () => User, primary: true, deleteRule: 'cascade' })
  user: Rel<User>;

  /** The key as the client sent it: 1 to 255 printable ASCII characters. */
  @PrimaryKey({ type: 'string', length: 255 })
  key: string;

  /** SHA-256 (hex) of the method, path, If-Match and body: a different request under the same key is refused. */
  @Property({ type: 'string', length: 64 })
  fingerprint: string;

  @Property({ type: 'smallint' })
  status: number;

  /** The answer's ETag and Location, when it had them. */
  @Property({ type: 'json' })
  headers: Record<string, string>;

  /** The answer's body exactly as sent (empty for 204). */
  @Property({ type: 'text' })
  body: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;
}
