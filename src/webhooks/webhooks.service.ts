import { randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { RequestActor } from '../common/actor.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { Environment } from '../config/environment.js';
import { ExclusiveJobs } from '../database/exclusive-job.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { parseDuration } from '../config/duration.js';
import { Interval } from '@nestjs/schedule';
import { User } from '../users/user.entity.js';
import { addressProblem, urlProblem } from './webhook-address.js';
import { WebhookAttempt } from './webhook-attempt.entity.js';
import { WebhookMessage } from './webhook-message.entity.js';
import { Webhook } from './webhook.entity.js';
import type { CreateWebhookDto, UpdateWebhookDto, WebhookDeliveryPageResponse, WebhookResponse } from './dto/webhook.dto.js';

/** How long a rotated-out secret keeps signing beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;
const PRUNE_INTERVAL_MS = 60 * 60_000;
const DELIVERIES = listFingerprint({ list: 'webhook-deliveries', sort: '-id' });

/** `whsec_` and 24 random bytes in base64, the Standard Webhooks secret format. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export const webhookResponse = (webhook: Webhook): WebhookResponse => ({
  id: webhook.id,
  url: webhook.url,
  events: webhook.events,
  active: webhook.active,
  disabledReason: webhook.disabledReason,
  createdAt: webhook.createdAt.toISOString(),
  updatedAt: webhook.updatedAt.toISOString(),
});

@Injectable()
export class WebhooksService {
  constructor(
    private readonly em: EntityManager,
    private readonly unitOfWork: UnitOfWork,
    private readonly jobs: ExclusiveJobs,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(actor: RequestActor, input: CreateWebhookDto): Promise<WebhookResponse & { secret: string }> {
    await this.checkUrl(input.url);
    const limit = this.environment.MAX_WEBHOOKS_PER_USER;
    const webhook = await this.unitOfWork.run(async (em) => {
      await em.execute('select 1 from users where id = ? for no key update', [actor.userId]);
      if ((await em.count(Webhook, { user: actor.userId })) >= limit) {
        throw quotaExceeded(limit, 'webhooks');
      }
      const created = new Webhook(em.getReference(User, actor.userId), input.url, input.events, newSecret());
      created.active = input.active ?? true;
      em.persist(created);
      return created;
    });
    return { ...webhookResponse(webhook), secret: webhook.secret };
  }

  async list(userId: string): Promise<WebhookResponse[]> {
    return (await this.em.find(Webhook, { user: userId }, { orderBy: { createdAt: 'asc', id: 'asc' } })).map(webhookResponse);
  }

  async get(userId: string, webhookId: string): Promise<WebhookResponse> {
    return webhookResponse(await this.findOwned(userId, webhookId));
  }

  async update(userId: string, webhookId: string, changes: UpdateWebhookDto): Promise<WebhookResponse> {
    if (changes.url !== undefined) {
      await this.checkUrl(changes.url);
    }
    const webhook = await this.unitOfWork.run(async (em) => {
      const found = await this.findOwned(userId, webhookId, em);
      found.url = changes.url ?? found.url;
      found.events = changes.events ?? found.events;
      if (changes.active !== undefined) {
        found.active = changes.active;
        found.disabledReason = changes.active ? null : found.disabledReason;
      }
      return found;
    });
    return webhookResponse(webhook);
  }

  async remove(userId: string, webhookId: string): Promise<void> {
    if ((await this.em.nativeDelete(Webhook, { id: webhookId, user: userId })) === 0) {
      throw new NotFoundException('No such webhook.');
    }
  }

  /** A new secret, shown once; the old one keeps signing for 24 hours so receivers can switch. */
  async rotateSecret(userId: string, webhookId: string): Promise<string> {
    return this.unitOfWork.run(async (em) => {
      const webhook = await this.findOwned(userId, webhookId, em);
      webhook.previousSecret = webhook.secret;
      webhook.previousSecretUntil = new Date(Date.now() + ROTATION_OVERLAP_MS);
      webhook.secret = newSecret();
      return webhook.secret;
    });
  }

  /** The webhook's delivery attempts, newest first, keyset-paged. */
  async deliveries(userId: string, webhookId: string, limit: number, cursor?: string): Promise<WebhookDeliveryPageResponse> {
    await this.findOwned(userId, webhookId);
    const after = cursor ? decodeCursor(cursor, DELIVERIES) : undefined;
    if (after && (after.value === null || !/^[1-9]\d{0,18}$/.test(after.value))) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
    }
    const attempts = await this.em.find(
      WebhookAttempt,
      { webhook: webhookId, ...(after && { id: { $lt: after.value! } }) },
      { orderBy: { id: 'desc' }, limit: limit + 1, populate: ['message'], fields: ['*', 'message.eventType'] as never },
    );
    const items = attempts.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map((attempt) => ({
        id: String(attempt.id),
        messageId: attempt.message.id,
        eventType: attempt.message.eventType,
        attempt: attempt.attempt,
        at: attempt.at.toISOString(),
        statusCode: attempt.statusCode,
        durationMs: attempt.durationMs,
        error: attempt.error,
      })),
      nextCursor: attempts.length > limit && last ? encodeCursor(DELIVERIES, { value: String(last.id), id: last.message.id }) : null,
    };
  }

  /** Sends an attempt's message again, now, under the same webhook-id. */
  async redeliver(userId: string, webhookId: string, deliveryId: string): Promise<void> {
    await this.findOwned(userId, webhookId);
    const attempt = /^[1-9]\d{0,18}$/.test(deliveryId) ? await this.em.findOne(WebhookAttempt, { id: deliveryId, webhook: webhookId }) : null;
    if (!attempt) {
      throw new NotFoundException('No such delivery.');
    }
    await this.em.nativeUpdate(WebhookMessage, { id: attempt.message.id }, { state: 'pending', nextAttemptAt: new Date() });
  }

  /** Delivered and failed messages older than WEBHOOK_LOG_RETENTION go, with their attempts. */
  @Interval(PRUNE_INTERVAL_MS)
  async pruneLog(): Promise<number> {
    let removed = 0;
    await this.jobs.run('webhook-log-retention', async () => {
      const cutoff = new Date(Date.now() - parseDuration(this.environment.WEBHOOK_LOG_RETENTION));
      removed = await this.em.nativeDelete(WebhookMessage, { state: { $ne: 'pending' }, createdAt: { $lt: cutoff } });
    });
    return removed;
  }

  private async findOwned(userId: string, webhookId: string, em: EntityManager = this.em): Promise<Webhook> {
    const webhook = await em.findOne(Webhook, { id: webhookId, user: userId });
    if (!webhook) {
      throw new NotFoundException('No such webhook.');
    }
    return webhook;
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = urlProblem(url) ?? (await addressProblem(new URL(url), this.environment.WEBHOOK_ALLOW_PRIVATE));
    if (problem) {
      throw validationProblem([{ field: 'url', message: problem }]);
    }
  }
}
