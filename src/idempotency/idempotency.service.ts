import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { ExclusiveJobs } from '../database/exclusive-job.js';
import { IdempotencyRepository, type StoredAnswer } from './idempotency.repository.js';

/** A successful answer as sent: status, ETag/Location, the body's JSON text, and the value itself. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  value: unknown;
}

export type Outcome = { replayed: false; answer: Answer } | { replayed: true; answer: StoredAnswer };

const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;
const PRUNE_INTERVAL_MS = 60 * 60_000;
const PRUNE_BATCH = 5_000;

const inFlight = () =>
  new ApiProblemException(409, 'A request with this Idempotency-Key is still being processed: retry after it ends.', {
    type: 'idempotency-key-in-flight',
    headers: { 'Retry-After': String(IN_FLIGHT_RETRY_AFTER_SECONDS) },
  });

const mismatch = () =>
  new ApiProblemException(422, 'This Idempotency-Key was used for a different request (method, path, If-Match or body): use a new key.', {
    type: 'idempotency-key-mismatch',
  });

/**
 * Runs a write sent with an Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header) at
 * most once. The write and its stored answer share one transaction, which holds an advisory lock
 * on (user, key): a repeat while it runs is told so (409, at any instance), a repeat after it
 * commits gets the stored answer, and a write that fails stores nothing, so the key can be retried.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  private readonly ttlMs: number;

  constructor(
    private readonly em: EntityManager,
    private readonly records: IdempotencyRepository,
    private readonly jobs: ExclusiveJobs,
    @Inject(Environment) environment: Environment,
  ) {
    this.ttlMs = parseDuration(environment.IDEMPOTENCY_TTL);
  }

  run(userId: string, key: string, fingerprint: string, write: () => Promise<Answer>): Promise<Outcome> {
    return this.em.transactional(async (em) => {
      const [{ locked }] = await em.execute<Array<{ locked: boolean }>>('select pg_try_advisory_xact_lock(hashtextextended(?, 0)) as locked', [
        `idempotency:${userId}:${key}`,
      ]);
      if (!locked) {
        throw inFlight();
      }
      const now = new Date();
      const stored = await this.records.findAnswer(userId, key, now);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw mismatch();
        }
        return { replayed: true, answer: stored };
      }
      const answer = await write();
      const { status, headers, body } = answer;
      await this.records.store(userId, key, { fingerprint, status, headers, body }, new Date(now.getTime() + this.ttlMs));
      return { replayed: false, answer };
    });
  }

  @Interval(PRUNE_INTERVAL_MS)
  async pruneExpired(): Promise<number> {
    let removed = 0;
    await this.jobs.run('idempotency-retention', async () => {
      removed = await this.records.deleteExpired(new Date(), PRUNE_BATCH);
    });
    if (removed > 0) {
      this.logger.log(`Pruned ${removed} idempotency record${removed === 1 ? '' : 's'} past IDEMPOTENCY_TTL`);
    }
    return removed;
  }
}
