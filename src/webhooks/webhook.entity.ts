import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import { User } from '../users/user.entity.js';
import { WebhookRepository } from './webhook.repository.js';

/**
 * A user's subscription: where to send which events, signed with its secret (Standard Webhooks).
 * The secret must sign, so it is kept as is; it is shown once, at creation or rotation, and never
 * again in any answer or log.
 */
@Entity({ tableName: 'webhooks', repository: () => WebhookRepository })
@Index({ name: 'webhooks_user_idx', properties: ['user', 'createdAt'] })
export class Webhook {
  [EntityRepositoryType]?: WebhookRepository;

  [OptionalProps]?: 'active' | 'createdAt' | 'updatedAt' | 'previousSecret' | 'previousSecretUntil' | 'disabledReason' | 'lastSuccessAt';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user: Rel<User>;

  @Property({ type: 'string', length: 2000 })
  url: string;

  /** Event types (`task.created`) or a whole family (`task.*`). */
  @Property({ type: 'text[]' })
  events: string[];

  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  /** Why the server turned it off (every delivery failing for the whole retry window); null otherwise. */
  @Property({ type: 'string', length: 200, nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'string', length: 100, hidden: true })
  secret: string;

  /** The secret before the last rotation, still signing beside the new one until `previousSecretUntil`. */
  @Property({ type: 'string', length: 100, nullable: true, hidden: true })
  previousSecret: string | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  previousSecretUntil: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null = null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  constructor(user: Rel<User>, url: string, events: string[], secret: string) {
    this.user = user;
    this.url = url;
    this.events = events;
    this.secret = secret;
  }
}
