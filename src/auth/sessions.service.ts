import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { decodeCursor, encodeCursor, isCursorTimestamp, listFingerprint } from '../common/keyset-cursor.js';
import type { RequestOrigin } from '../common/request-origin.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { OnDomainEvent } from '../database/unit-of-work.js';
import { logSecurityEvent } from '../logging/security-events.js';
import { AccountDeleting, PasswordChanged } from '../users/account-events.js';
import type { User } from '../users/user.entity.js';
import { Session } from './session.entity.js';
import { SessionRepository, type SessionRow } from './session.repository.js';
import { generateSessionToken, hashSessionToken } from './session-token.js';
import { UnitOfWork } from '../database/unit-of-work.js';

const PURGE_INTERVAL_MS = 10 * 60_000;
const USER_AGENT_MAX_LENGTH = 255;
/** Sessions lists have no filters or sorts: one fingerprint for every cursor they issue. */
const SESSIONS_LIST = listFingerprint({ list: 'sessions', sort: '-createdAt' });

export interface SessionPage {
  items: SessionRow[];
  nextCursor: string | null;
}

@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly ttlMs: number;
  private readonly idleTimeoutSeconds: number;
  private readonly maxSessions: number;

  constructor(
    private readonly em: EntityManager,
    private readonly unitOfWork: UnitOfWork,
    private readonly sessions: SessionRepository,
    @Inject(Environment) environment: Environment,
  ) {
    this.ttlMs = parseDuration(environment.SESSION_TTL);
    this.idleTimeoutSeconds = Math.floor(parseDuration(environment.SESSION_IDLE_TIMEOUT) / 1000);
    this.maxSessions = environment.MAX_SESSIONS_PER_USER;
  }

  /**
   * Starts a session; the returned token is the only copy there will ever be. Past
   * MAX_SESSIONS_PER_USER live sessions the oldest (by creation) are revoked, in the same
   * transaction, serialised per user by locking the owner's row (as task and category creation do).
   */
  async start(user: User, userAgent: string | undefined): Promise<{ token: string; session: Session }> {
    const token = generateSessionToken();
    const session = new Session(user, hashSessionToken(token), new Date(Date.now() + this.ttlMs));
    session.userAgent = userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null;
    await this.unitOfWork.run(async (em) => {
      await em.execute('select 1 from users where id = ? for no key update', [user.id]);
      await em.persist(session).flush();
      await em.getRepository(Session).revokeAllButNewest(user.id, session.id, this.maxSessions - 1, this.idleTimeoutSeconds);
    });
    return { token, session };
  }

  /** The caller behind a bearer token, or null when the session is unknown, expired or revoked. */
  async authenticate(token: string): Promise<AuthenticatedUser | null> {
    const live = await this.sessions.findLive(hashSessionToken(token), this.idleTimeoutSeconds);
    if (!live) {
      return null;
    }
    if (live.stale) {
      await this.sessions.touch(live.sessionId);
    }
    return { userId: live.userId, sessionId: live.sessionId };
  }

  /** The user's live sessions, newest first, one keyset page at a time (like the tasks list). */
  async listLive(userId: string, limit: number, cursor?: string): Promise<SessionPage> {
    const after = cursor ? decodeCursor(cursor, SESSIONS_LIST) : undefined;
    if (after && (after.value === null || !isCursorTimestamp(after.value))) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
    }
    const rows = await this.sessions.findLivePage(userId, this.idleTimeoutSeconds, after, limit);
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > limit && last ? encodeCursor(SESSIONS_LIST, { value: last.cursor_value, id: last.id }) : null,
    };
  }

  /** Another user's session id answers exactly like a missing one. */
  async revoke(userId: string, sessionId: string, origin: RequestOrigin, reason: 'logout' | 'revoked'): Promise<void> {
    const deleted = await this.sessions.nativeDelete({ id: sessionId, user: userId });
    if (deleted === 0) {
      throw new NotFoundException('No such session.');
    }
    logSecurityEvent('session.revoked', origin, { userId, sessionId, reason });
  }

  /**
   * Whoever knew the old password may hold a session: every one but the session that changed it
   * ends, in the password change's transaction (a failure here keeps the old password).
   */
  @OnDomainEvent(PasswordChanged)
  async endOtherSessions(event: PasswordChanged): Promise<void> {
    event.revokedSessions += await this.sessions.nativeDelete({ user: event.userId, id: { $ne: event.keepSessionId } });
  }

  /** In the account deletion's transaction, before its row goes (the foreign key's cascade is only a backstop). */
  @OnDomainEvent(AccountDeleting)
  async endAllSessions(event: AccountDeleting): Promise<void> {
    await this.sessions.nativeDelete({ user: event.userId });
  }

  @Interval(PURGE_INTERVAL_MS)
  async purgeExpired(): Promise<number> {
    const em = this.em.fork();
    const removed = await em.getRepository(Session).deleteExpired(this.idleTimeoutSeconds);
    if (removed > 0) {
      this.logger.log(`Purged ${removed} expired session(s)`);
    }
    return removed;
  }
}
