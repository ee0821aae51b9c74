import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { WebhookMessage } from './webhook-message.entity.js';
import { Webhook } from './webhook.entity.js';

/** One delivery attempt, for GET /webhooks/{id}/deliveries: when, the answer's status, how long, what went wrong. */
@Entity({ tableName: 'webhook_attempts' })
@Index({ name: 'webhook_attempts_webhook_id_idx', properties: ['webhook', 'id'] })
export class WebhookAttempt {
  [OptionalProps]?: 'at';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id: string;

  @ManyToOne({ entity: () => Webhook, deleteRule: 'cascade' })
  webhook: Rel<Webhook>;

  @ManyToOne({ entity: () => WebhookMessage, deleteRule: 'cascade' })
  message: Rel<WebhookMessage>;

  @Property({ type: 'smallint' })
  attempt: number;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  at: Date;

  /** The receiver's HTTP status; null when none came (timeout, refused address, connection error). */
  @Property({ type: 'smallint', nullable: true })
  statusCode: number | null;

  @Property({ type: 'integer' })
  durationMs: number;

  @Property({ type: 'string', length: 300, nullable: true })
  error: string | null;
}
