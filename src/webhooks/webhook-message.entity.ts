import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { Webhook } from './webhook.entity.js';

export const MESSAGE_STATES = ['pending', 'delivered', 'failed'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/**
 * The outbox: one event for one webhook, written in the transaction of the change it reports.
 * Its id is the `webhook-id` of every attempt; its payload is fixed at the first attempt, so each
 * retry sends the same bytes. A dispatcher claims a due message by moving `nextAttemptAt` past the
 * attempt's deadline (FOR UPDATE SKIP LOCKED): one instance per attempt, and a message whose
 * instance died is due again once that deadline passes.
 */
@Entity({ tableName: 'webhook_messages' })
@Index({ name: 'webhook_messages_due_idx', properties: ['nextAttemptAt'], where: "state = 'pending'" })
@Index({ name: 'webhook_messages_webhook_idx', properties: ['webhook', 'createdAt'] })
// The retention job deletes finished messages by age across every user.
@Index({ name: 'webhook_messages_finished_idx', properties: ['createdAt'], where: "state <> 'pending'" })
export class WebhookMessage {
  [OptionalProps]?: 'state' | 'attempts' | 'payload' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string;

  @ManyToOne({ entity: () => Webhook, deleteRule: 'cascade' })
  webhook: Rel<Webhook>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  user: Rel<User>;

  /** The change's number in its owner's activity stream. */
  @Property({ type: 'bigint' })
  seq: string;

  @Property({ type: 'string', length: 50 })
  eventType: string;

  @Property({ type: 'string', length: 20 })
  entityType: string;

  @Property({ type: 'uuid' })
  entityId: string;

  @Enum({ items: [...MESSAGE_STATES], type: 'string', default: 'pending' })
  state: MessageState;

  @Property({ type: 'smallint', default: 0 })
  attempts: number;

  @Property({ type: 'text', nullable: true })
  payload: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  nextAttemptAt: Date;
}
