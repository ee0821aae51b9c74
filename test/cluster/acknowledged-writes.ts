import { randomUUID } from 'node:crypto';
import { api } from './cluster.js';
import { sleep } from '../support/wait.js';

/** An answer other than 201, or no answer at all, as the client saw it. */
export interface FailedAttempt {
  at: number;
  status?: number;
  retryAfter?: string;
  problemType?: string;
  /** Set when no HTTP answer arrived (connection error, timeout). */
  error?: string;
}

export interface AcknowledgedWrites {
  /** Title → created task id, for every write answered 201. */
  acknowledged: Map<string, string>;
  /** When each acknowledgement arrived. */
  acknowledgedAt: number[];
  failures: FailedAttempt[];
  /** Writes still not acknowledged when their retry budget ran out. */
  abandoned: string[];
}

export interface AcknowledgedWriteOptions {
  baseUrl: string;
  token: string;
  writers: number;
  /** Every title starts with it, so the run's rows can be counted in the database. */
  titlePrefix: string;
  stop: AbortSignal;
  /** Per writer: bounds the run in count as well as in time. */
  maxWritesPerWriter: number;
  /** How long one write may be retried before it is abandoned. */
  retryBudgetMs: number;
}

/** A record to pass to runAcknowledgedWrites, to watch while the writers run. */
export const emptyWriteRecord = (): AcknowledgedWrites => ({ acknowledged: new Map(), acknowledgedAt: [], failures: [], abandoned: [] });

/**
 * Concurrent writers, each creating one task at a time through `baseUrl` until `stop` aborts.
 * A write is recorded only when acknowledged (201). A refused one is retried with the same
 * Idempotency-Key after its Retry-After, as a careful client would: it is applied at most once,
 * and a write the server applied but could not acknowledge is acknowledged by the retry.
 */
export async function runAcknowledgedWrites(options: AcknowledgedWriteOptions, run: AcknowledgedWrites = emptyWriteRecord()): Promise<AcknowledgedWrites> {
  const writeOnce = async (title: string) => {
    const key = randomUUID();
    const giveUpAt = Date.now() + options.retryBudgetMs;
    while (Date.now() < giveUpAt) {
      const attempt: FailedAttempt = { at: Date.now() };
      try {
        const response = await api(options.baseUrl, 'POST', '/tasks', {
          token: options.token,
          body: { title },
          headers: { 'idempotency-key': key },
          timeoutMs: 20_000,
        });
        if (response.status === 201) {
          run.acknowledged.set(title, String(response.body.id));
          run.acknowledgedAt.push(Date.now());
          return;
        }
        attempt.status = response.status;
        attempt.retryAfter = response.headers['retry-after'] as string | undefined;
        attempt.problemType = response.body.type as string | undefined;
      } catch (error) {
        attempt.error = (error as { code?: string }).code ?? (error as Error).message;
      }
      run.failures.push(attempt);
      await sleep(Number(attempt.retryAfter ?? 1) * 1_000);
    }
    run.abandoned.push(title);
  };
  const writer = async (writerIndex: number) => {
    for (let sequence = 0; sequence < options.maxWritesPerWriter && !options.stop.aborted; sequence++) {
      await writeOnce(`${options.titlePrefix} w${writerIndex} #${sequence}`);
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, index) => writer(index + 1)));
  return run;
}
