import { Injectable } from '@nestjs/common';
import { ActivityRecorded } from '../activity/activity-events.js';
import { OnDomainEvent } from '../database/unit-of-work.js';
import { eventTypeOf } from './webhook-events.js';
import { WebhookRepository } from './webhook.repository.js';

/**
 * Every recorded change becomes outbox messages for the owner's subscribed webhooks, in the
 * change's own transaction: a change that rolls back sends nothing, a committed one is delivered
 * at least once, whatever happens to the instance afterwards.
 */
@Injectable()
export class WebhookOutbox {
  constructor(private readonly webhooks: WebhookRepository) {}

  @OnDomainEvent(ActivityRecorded)
  async enqueue({ ownerId, entries }: ActivityRecorded): Promise<void> {
    await this.webhooks.enqueue(
      ownerId,
      entries.map((entry) => ({ seq: entry.seq, type: eventTypeOf(entry), entityType: entry.entityType, entityId: entry.entityId })),
    );
  }
}
