import { EntityRepository } from '@mikro-orm/postgresql';
import { WebhookAttempt } from './webhook-attempt.entity.js';
import { WebhookMessage } from './webhook-message.entity.js';
import { Webhook } from './webhook.entity.js';

/** A message claimed for one delivery attempt. */
export interface ClaimedMessage {
  id: string;
  webhookId: string;
  userId: string;
  seq: string;
  eventType: string;
  entityType: 'task' | 'category';
  entityId: string;
  attempts: number;
  payload: string | null;
  createdAt: Date;
}

export interface QueuedEvent {
  seq: string;
  type: string;
  entityType: string;
  entityId: string;
}

/** Only the webhooks module writes `webhooks`, `webhook_messages` and `webhook_attempts`. */
export class WebhookRepository extends EntityRepository<Webhook> {
  /**
   * Queues each event for every active webhook of the owner subscribed to it (its type, or its
   * family `task.*`), in the caller's transaction, and wakes the dispatchers when it queued any:
   * one statement, so a write without webhooks pays one round trip. Names come from the metadata.
   */
  async enqueue(ownerId: string, events: QueuedEvent[]): Promise<void> {
    await this.getEntityManager().execute(this.enqueueStatement(), [JSON.stringify(events), ownerId]);
  }

  /**
   * Claims up to `limit` due messages for one attempt each: their next attempt moves to
   * `deadline`, so no other instance takes them meanwhile, and if this one dies they are due
   * again then. FOR UPDATE SKIP LOCKED lets several instances claim at once without waiting.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
    const em = this.getEntityManager();
    const messages = em.getMetadata(WebhookMessage);
    const column = (property: keyof WebhookMessage & string) => `"${messages.properties[property].fieldNames[0]}"`;
    const rows = await em.execute<Array<Record<string, unknown>>>(
      `update "${messages.tableName}" m set ${column('nextAttemptAt')} = now() + ? * interval '1 millisecond'
         from (select ${column('id')} from "${messages.tableName}"
                where ${column('state')} = 'pending' and ${column('nextAttemptAt')} <= now()
                order by ${column('nextAttemptAt')} limit ? for update skip locked) due
        where m.${column('id')} = due.${column('id')}
        returning m.${column('id')} as id, m.${column('webhook')} as "webhookId", m.${column('user')} as "userId", m.${column('seq')} as seq,
                  m.${column('eventType')} as "eventType", m.${column('entityType')} as "entityType", m.${column('entityId')} as "entityId",
                  m.${column('attempts')} as attempts, m.${column('payload')} as payload, m.${column('createdAt')} as "createdAt"`,
      [leaseMs, limit],
    );
    return rows.map((row) => ({ ...(row as unknown as ClaimedMessage), seq: String(row.seq), createdAt: new Date(row.createdAt as string) }));
  }

  /** Fixes the payload at the first attempt (a concurrent first attempt's stays). */
  async fixPayload(messageId: string, payload: string): Promise<string> {
    const em = this.getEntityManager();
    await em.nativeUpdate(WebhookMessage, { id: messageId, payload: null }, { payload });
    const message = await em.findOneOrFail(WebhookMessage, messageId, { fields: ['payload'], disableIdentityMap: true });
    return message.payload!;
  }

  async recordAttempt(attempt: Omit<WebhookAttempt, 'id' | 'at' | 'webhook' | 'message'> & { webhookId: string; messageId: string }): Promise<void> {
    const { webhookId, messageId, ...rest } = attempt;
    await this.getEntityManager().insert(WebhookAttempt, { ...rest, webhook: webhookId, message: messageId });
  }

  private enqueueStatementText?: string;

  private enqueueStatement(): string {
    if (this.enqueueStatementText) {
      return this.enqueueStatementText;
    }
    const em = this.getEntityManager();
    const webhooks = em.getMetadata(Webhook);
    const messages = em.getMetadata(WebhookMessage);
    const hook = (property: keyof Webhook & string) => `w."${webhooks.properties[property].fieldNames[0]}"`;
    const column = (property: keyof WebhookMessage & string) => `"${messages.properties[property].fieldNames[0]}"`;
    const inserted = ['id', 'webhook', 'user', 'seq', 'eventType', 'entityType', 'entityId', 'nextAttemptAt'] as const;
    this.enqueueStatementText = `with queued as (
        insert into "${messages.tableName}" (${inserted.map(column).join(', ')})
        select gen_random_uuid(), ${hook('id')}, ${hook('user')}, event.seq, event.type, event."entityType", event."entityId", now()
          from "${webhooks.tableName}" w, jsonb_to_recordset(?::jsonb) as event(seq bigint, type text, "entityType" text, "entityId" uuid)
         where ${hook('user')} = ? and ${hook('active')}
           and (event.type = any(${hook('events')}) or split_part(event.type, '.', 1) || '.*' = any(${hook('events')}))
        returning 1)
      select pg_notify('${WEBHOOK_MESSAGES_CHANNEL}', '') from queued limit 1`;
    return this.enqueueStatementText;
  }
}

/** NOTIFY channel that wakes the dispatchers when messages are queued. */
export const WEBHOOK_MESSAGES_CHANNEL = 'webhook_messages_queued';
