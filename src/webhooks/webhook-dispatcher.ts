import http from 'node:http';
import https from 'node:https';
import { EntityManager, RequestContext } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { ChangesService } from '../changes/changes.service.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { DatabaseNotifications } from '../database/database-notifications.js';
import { WebhookMessage } from './webhook-message.entity.js';
import { literalHostProblem, publicOnlyLookup } from './webhook-address.js';
import { Webhook } from './webhook.entity.js';
import { WEBHOOK_MESSAGES_CHANNEL, WebhookRepository, type ClaimedMessage } from './webhook.repository.js';
import { mapErrorToProblem } from '../common/errors/problem-mapping.js';

const CLAIM_BATCH = 10;
const MAX_RESPONSE_BYTES = 64 * 1024;

interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

/**
 * Delivers the outbox, in every instance: claims due messages (one instance per attempt), signs
 * them (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`), POSTs them
 * without following redirects, to public addresses only, and records each attempt. A non-2xx
 * answer or a timeout is retried after the next delay of WEBHOOK_RETRY_SCHEDULE, with jitter;
 * past the last one the message fails, and a webhook with no success in all that time is disabled.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly retryDelaysMs: number[];
  private timer?: NodeJS.Timeout;
  private stopListening?: () => void;
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    private readonly em: EntityManager,
    private readonly webhooks: WebhookRepository,
    private readonly changes: ChangesService,
    private readonly notifications: DatabaseNotifications,
    @Inject(Environment) private readonly environment: Environment,
  ) {
    this.retryDelaysMs = environment.WEBHOOK_RETRY_SCHEDULE.split(',').map((delay) => parseDuration(delay));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.timer || !this.environment.WEBHOOK_DISPATCH) {
      return;
    }
    this.closed = false;
    this.timer = setInterval(() => this.wake(), this.environment.WEBHOOK_POLL_INTERVAL_MS).unref();
    await this.listen();
  }

  /** Wakes on each queued message's NOTIFY; listens again a second after the connection is lost. */
  private async listen(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.stopListening = await this.notifications
      .listen(WEBHOOK_MESSAGES_CHANNEL, (payload) => {
        this.wake();
        if (payload === null && !this.closed) {
          setTimeout(() => void this.listen(), 1_000).unref();
        }
      })
      .catch((error: unknown) => {
        // Polling still delivers; the notification only makes it prompt.
        this.logger.warn(`Not listening for queued webhook messages: ${(error as Error).message}`);
        return undefined;
      });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopListening?.();
    await this.running;
  }

  /** Runs a round now, or right after the one under way. */
  wake(): void {
    if (this.closed) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    // A round runs outside any request: it gets its own context (identity map) like one.
    this.running = RequestContext.create(this.em, () => this.deliverDue().then(() => undefined))
      .catch((error: unknown) => {
        // An error the error model knows (the database unavailable during a failover, say) is not
        // a bug: a warning, and the next round retries. Anything else is logged as an error.
        const outage = !mapErrorToProblem(error).unexpected;
        this.logger[outage ? 'warn' : 'error'](`Webhook round failed: ${(error as Error).message}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Claims and delivers due messages until none is left. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    // Past the attempt's timeout and the writes that record it: a live instance is done by then.
    const leaseMs = 2 * this.environment.WEBHOOK_TIMEOUT_MS + 5_000;
    for (let claimed = await this.claim(leaseMs); claimed.length > 0 && !this.closed; claimed = await this.claim(leaseMs)) {
      await Promise.all(claimed.map((message) => this.attempt(message)));
      delivered += claimed.length;
    }
    return delivered;
  }

  private claim(leaseMs: number): Promise<ClaimedMessage[]> {
    return this.webhooks.claimDue(CLAIM_BATCH, leaseMs);
  }

  private async attempt(message: ClaimedMessage): Promise<void> {
    const em = this.em.fork();
    const webhook = await em.findOne(Webhook, message.webhookId);
    if (!webhook) {
      return; // deleted meanwhile: its messages went with it
    }
    const payload = message.payload ?? (await this.webhooks.fixPayload(message.id, await this.payloadOf(message)));
    const attempt = message.attempts + 1;
    const started = Date.now();
    const result = webhook.active ? await this.post(webhook, message.id, payload) : { statusCode: null, error: 'webhook is inactive' };
    const durationMs = Date.now() - started;
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    await em.transactional(async (tx) => {
      await this.webhooks.recordAttempt({ webhookId: webhook.id, messageId: message.id, attempt, statusCode: result.statusCode, durationMs, error: result.error?.slice(0, 300) ?? null });
      const delay = this.retryDelaysMs[attempt - 1];
      if (ok) {
        await tx.nativeUpdate(WebhookMessage, message.id, { state: 'delivered', attempts: attempt });
        await tx.nativeUpdate(Webhook, webhook.id, { lastSuccessAt: new Date() });
      } else if (delay !== undefined && webhook.active) {
        const jitter = 0.8 + Math.random() * 0.4;
        await tx.nativeUpdate(WebhookMessage, message.id, { attempts: attempt, nextAttemptAt: new Date(Date.now() + delay * jitter) });
      } else {
        await tx.nativeUpdate(WebhookMessage, message.id, { state: 'failed', attempts: attempt });
        if (webhook.active && (webhook.lastSuccessAt === null || webhook.lastSuccessAt < message.createdAt)) {
          await tx.nativeUpdate(Webhook, webhook.id, {
            active: false,
            disabledReason: 'Every delivery failed for the whole retry window (WEBHOOK_RETRY_SCHEDULE): fix the endpoint, then PATCH active=true.',
          });
        }
      }
    });
  }

  /** Standard Webhooks' envelope around the feed's change object, as the change stands at the first attempt. */
  private async payloadOf(message: ClaimedMessage): Promise<string> {
    const [change] = await this.changes.describe(message.userId, [
      { seq: message.seq, at: message.createdAt, entityType: message.entityType, entityId: message.entityId, action: 'update' },
    ]);
    return JSON.stringify({ type: message.eventType, timestamp: message.createdAt.toISOString(), data: change });
  }

  private post(webhook: Webhook, messageId: string, payload: string): Promise<AttemptResult> {
    const url = new URL(webhook.url);
    const allowPrivate = this.environment.WEBHOOK_ALLOW_PRIVATE;
    const refused = literalHostProblem(url, allowPrivate);
    if (refused) {
      return Promise.resolve({ statusCode: null, error: refused });
    }
    const timestamp = new Date();
    const secrets = [webhook.secret, ...(webhook.previousSecret && webhook.previousSecretUntil && webhook.previousSecretUntil > timestamp ? [webhook.previousSecret] : [])];
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'TaskTracker-Webhooks/1',
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': secrets.map((secret) => new StandardWebhook(secret).sign(messageId, timestamp, payload)).join(' '),
    };
    return new Promise((resolve) => {
      const request = (url.protocol === 'https:' ? https : http).request(
        url,
        { method: 'POST', headers, agent: false, lookup: publicOnlyLookup(allowPrivate), signal: AbortSignal.timeout(this.environment.WEBHOOK_TIMEOUT_MS) },
        (response) => {
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > MAX_RESPONSE_BYTES) {
              response.destroy();
            }
          });
          response.on('close', () => resolve({ statusCode: response.statusCode ?? null, error: null }));
        },
      );
      request.on('error', (error) => resolve({ statusCode: null, error: error.name === 'AbortError' ? `no answer within ${this.environment.WEBHOOK_TIMEOUT_MS} ms` : error.message }));
      request.end(payload);
    });
  }
}
