import { Inject, Injectable } from '@nestjs/common';
import PQueue from 'p-queue';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { Environment } from '../config/environment.js';
import { hashPassword, verifyPassword } from './password.js';

/** How long a turned-away client should wait: about one round of queued hashes. */
const BUSY_RETRY_AFTER_SECONDS = 2;

const serverBusy = () =>
  new ApiProblemException(503, `Too many password checks in progress; retry in ${BUSY_RETRY_AFTER_SECONDS} seconds.`, {
    type: 'server-busy',
    headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) },
  });

/**
 * Every password hash and comparison a request makes (register, login, password confirmations)
 * runs here: at most PASSWORD_HASH_CONCURRENCY at once, at most PASSWORD_HASH_QUEUE waiting, and
 * past that 503 with Retry-After at once, so a flood of bcrypt work cannot make every other
 * request (and real users' logins) wait behind it. p-queue (concurrency, FIFO) has no bound on
 * its queue, so the bound is its `size` (waiting, not running) checked before each `add`.
 */
@Injectable()
export class PasswordHasher {
  private readonly queue: PQueue;
  private readonly maxWaiting: number;
  private readonly cost: number;

  constructor(@Inject(Environment) environment: Environment) {
    this.queue = new PQueue({ concurrency: environment.PASSWORD_HASH_CONCURRENCY });
    this.maxWaiting = environment.PASSWORD_HASH_QUEUE;
    this.cost = environment.BCRYPT_COST;
  }

  hash(plain: string): Promise<string> {
    return this.run(() => hashPassword(plain, this.cost));
  }

  verify(plain: string, hash: string): Promise<boolean> {
    return this.run(() => verifyPassword(plain, hash));
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.queue.pending >= this.queue.concurrency && this.queue.size >= this.maxWaiting) {
      throw serverBusy();
    }
    return this.queue.add(work);
  }
}
