import { createHash } from 'node:crypto';
import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { logSecurityEvent } from '../logging/security-events.js';
import { LoginThrottle } from './login-throttle.entity.js';
import { UnitOfWork } from '../database/unit-of-work.js';

const PURGE_INTERVAL_MS = 10 * 60_000;

/** Whose password is being tried: an existing account, or a login that names none. */
export type PasswordOwner = { userId: string } | { unknownLogin: string };

/** What the password is being checked for, as the security log names it. */
export type PasswordCheck = 'login' | 'password.change' | 'account.delete' | 'profile.change';

export type ThrottleTier = 'account-and-address' | 'address' | 'account';

/**
 * One counter per account, whether a login names it by email or by username. A login that names
 * no account is kept as its SHA-256: it may be a password typed into the wrong field, and the
 * key stays short enough for the pair key's column whatever was typed.
 */
export const accountKeyOf = (owner: PasswordOwner) =>
  'userId' in owner
    ? `account:user:${owner.userId}`
    : `account:login:${createHash('sha256').update(owner.unknownLogin.trim().toLowerCase(), 'utf8').digest('hex')}`;
export const addressKeyOf = (clientAddress: string) => `client:${clientAddress}`;
export const pairKeyOf = (owner: PasswordOwner, clientAddress: string) =>
  `${accountKeyOf(owner)}|${addressKeyOf(clientAddress)}`;

interface Counter {
  key: string;
  tier: ThrottleTier;
  limit: number;
}

interface CountedRow {
  key: string;
  failures: number;
  retry_after: number;
}

/** Thrown inside the reservation's transaction so that it rolls back: a refused attempt counts nowhere. */
class Refused extends Error {
  constructor(
    readonly tiers: ThrottleTier[],
    readonly retryAfterSeconds: number,
  ) {
    super('login throttled');
  }
}

/**
 * Slows password guessing without letting a stranger lock an owner out (NIST SP 800-63B 5.2.2,
 * OWASP Authentication Cheat Sheet). Failed password checks are counted in a fixed window
 * (LOGIN_FAILURE_WINDOW) under three keys, each with its own limit:
 * - one account from one address (LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS): what a guesser hits;
 * - one address across accounts (LOGIN_FAILURES_PER_ADDRESS): password spraying from one place,
 *   high enough for a NAT full of people who mistype;
 * - one account from every address (LOGIN_FAILURES_PER_ACCOUNT): the ceiling a distributed
 *   guesser reaches, far above what one address can do to an owner on their own.
 *
 * An attempt is counted before the password is compared: it reserves one failure on every key
 * in one statement, under the rows' locks, and the reservation stands only if every key stays
 * within its limit. So a burst of concurrent attempts cannot pass the check together, and a
 * refused attempt counts nowhere (an attacker held back at one address cannot push the
 * account-wide count up). A right password gives its reservation back and clears its own
 * account-and-address counter; the counts live in PostgreSQL, shared by every instance.
 */
@Injectable()
export class LoginThrottleService {
  private readonly windowSeconds: number;

  constructor(
    private readonly em: EntityManager,
    private readonly unitOfWork: UnitOfWork,
    @Inject(Environment) private readonly environment: Environment,
  ) {
    this.windowSeconds = Math.ceil(parseDuration(environment.LOGIN_FAILURE_WINDOW) / 1000);
  }

  /**
   * Runs `comparePassword` only when the attempt is within every limit, counting it first;
   * throws 429 with Retry-After otherwise. Answers what the comparison answered.
   */
  async check(
    owner: PasswordOwner,
    origin: RequestOrigin,
    action: PasswordCheck,
    comparePassword: () => Promise<boolean>,
  ): Promise<boolean> {
    const counters = this.countersFor(owner, origin.clientAddress);
    await this.reserve(counters, owner, origin, action);
    let matches: boolean;
    try {
      matches = await comparePassword();
    } catch (error) {
      // No password was judged (the hashing cap answered 503, say): the attempt counts nowhere.
      await this.uncount(counters);
      throw error;
    }
    if (matches) {
      await this.giveBack(counters);
    }
    return matches;
  }

  private countersFor(owner: PasswordOwner, clientAddress: string): Counter[] {
    const counters: Counter[] = [
      { key: pairKeyOf(owner, clientAddress), tier: 'account-and-address', limit: this.environment.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS },
      { key: addressKeyOf(clientAddress), tier: 'address', limit: this.environment.LOGIN_FAILURES_PER_ADDRESS },
      { key: accountKeyOf(owner), tier: 'account', limit: this.environment.LOGIN_FAILURES_PER_ACCOUNT },
    ];
    // Every attempt locks its rows in the same (key) order, so two attempts sharing keys never deadlock.
    return counters.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async reserve(counters: Counter[], owner: PasswordOwner, origin: RequestOrigin, action: PasswordCheck): Promise<void> {
    try {
      await this.unitOfWork.run(async (em) => {
        const rows = await em.execute<CountedRow[]>(RESERVE_SQL, [
          ...counters.map((counter) => counter.key),
          this.windowSeconds,
          this.windowSeconds,
          this.windowSeconds,
        ]);
        const over = counters.filter((counter) => {
          const row = rows.find((candidate) => candidate.key === counter.key);
          return row !== undefined && row.failures > counter.limit;
        });
        if (over.length > 0) {
          // A window another attempt opened after this transaction began can end a second past ours.
          const secondsLeft = rows.filter((row) => over.some((c) => c.key === row.key)).map((row) => row.retry_after);
          const retryAfter = Math.min(this.windowSeconds, Math.max(1, ...secondsLeft));
          throw new Refused(over.map((counter) => counter.tier), retryAfter);
        }
      });
    } catch (error) {
      if (!(error instanceof Refused)) {
        throw error;
      }
      logSecurityEvent('throttle.hit', origin, {
        ...('userId' in owner ? { userId: owner.userId } : {}),
        action,
        tiers: error.tiers,
        retryAfterSeconds: error.retryAfterSeconds,
      });
      throw new ApiProblemException(429, `Too many failed password attempts; retry in ${error.retryAfterSeconds} seconds.`, {
        type: 'too-many-login-attempts',
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      });
    }
  }

  /** A right password was no failure: the owner proved themselves at this address. */
  private async giveBack(counters: Counter[]): Promise<void> {
    const pair = counters.find((counter) => counter.tier === 'account-and-address')!;
    await this.em.nativeDelete(LoginThrottle, { key: pair.key });
    await this.uncount(counters.filter((counter) => counter !== pair));
  }

  /** Takes back the one failure the attempt reserved on each of these counters. */
  private async uncount(counters: Counter[]): Promise<void> {
    await this.em.nativeUpdate(
      LoginThrottle,
      { key: { $in: counters.map((counter) => counter.key) }, failures: { $gt: 0 } },
      { failures: raw('failures - 1') },
    );
  }

  /** Counters whose window has ended count nothing: their rows go, outside any request. */
  @Interval(PURGE_INTERVAL_MS)
  async purgeExpired(): Promise<void> {
    await this.em.fork().nativeDelete(LoginThrottle, { windowStartedAt: { $lt: new Date(Date.now() - this.windowSeconds * 1000) } });
  }
}

/**
 * Counts one failure on each of the three keys and returns the new counts with the seconds
 * left in each window; a key whose window has ended starts a new one. Raw SQL because it is
 * one INSERT ... ON CONFLICT DO UPDATE ... RETURNING with conditional expressions: the
 * increment, the window reset and the row lock have to happen in the same statement, which
 * the QueryBuilder's merge() cannot say. The row locks last until the transaction ends, so
 * concurrent attempts on a key are counted one after the other.
 */
const RESERVE_SQL = `
  insert into login_throttles (key, failures, window_started_at)
  values (?, 1, now()), (?, 1, now()), (?, 1, now())
  on conflict (key) do update set
    failures = case when login_throttles.window_started_at > now() - make_interval(secs => ?)
                    then login_throttles.failures + 1 else 1 end,
    window_started_at = case when login_throttles.window_started_at > now() - make_interval(secs => ?)
                             then login_throttles.window_started_at else now() end
  returning key, failures,
    ceil(extract(epoch from window_started_at + make_interval(secs => ?) - now()))::int as retry_after`;
