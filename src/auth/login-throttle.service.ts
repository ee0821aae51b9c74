import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60;

/** `user:<id>` for an existing account, `login:<name>` for one that does not exist. */
const accountKey = (account: string) => `account:${account}`;
const clientKey = (address: string) => `client:${address}`;

/**
 * Slows password guessing: 10 failures for one account, or from one client address, within
 * 15 minutes answer 429 until the window ends. Counting is one atomic upsert per key, so
 * concurrent attempts on several instances cannot undercount.
 */
@Injectable()
export class LoginThrottleService {
  constructor(private readonly em: EntityManager) {}

  /** Throws 429 with Retry-After while the account or the client is over the limit. */
  async assertAllowed(account: string, clientAddress: string): Promise<void> {
    const [blocked] = await this.em.execute<{ retry_after: number }[]>(
      `select ceil(extract(epoch from max(window_started_at) + make_interval(secs => ?) - now()))::int as retry_after
         from login_throttles
        where key in (?, ?) and failures >= ? and window_started_at > now() - make_interval(secs => ?)
       having count(*) > 0`,
      [
        LOGIN_FAILURE_WINDOW_SECONDS,
        accountKey(account),
        clientKey(clientAddress),
        LOGIN_FAILURE_LIMIT,
        LOGIN_FAILURE_WINDOW_SECONDS,
      ],
    );
    if (blocked) {
      const retryAfter = Math.max(1, blocked.retry_after);
      throw new ApiProblemException(429, `Too many failed logins; retry in ${retryAfter} seconds.`, {
        type: 'too-many-login-attempts',
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
  }

  async recordFailure(account: string, clientAddress: string): Promise<void> {
    await this.em.execute(
      `insert into login_throttles (key, failures, window_started_at)
       values (?, 1, now()), (?, 1, now())
       on conflict (key) do update set
         failures = case when login_throttles.window_started_at > now() - make_interval(secs => ?)
                         then login_throttles.failures + 1 else 1 end,
         window_started_at = case when login_throttles.window_started_at > now() - make_interval(secs => ?)
                                  then login_throttles.window_started_at else now() end`,
      [accountKey(account), clientKey(clientAddress), LOGIN_FAILURE_WINDOW_SECONDS, LOGIN_FAILURE_WINDOW_SECONDS],
    );
  }

  /** A successful login clears the account's count (not the client's: it may be guessing others). */
  async recordSuccess(account: string): Promise<void> {
    await this.em.execute('delete from login_throttles where key = ?', [accountKey(account)]);
  }

  async purgeExpired(em: EntityManager): Promise<void> {
    await em.execute('delete from login_throttles where window_started_at < now() - make_interval(secs => ?)', [
        LOGIN_FAILURE_WINDOW_SECONDS,
      ]);
  }
}
