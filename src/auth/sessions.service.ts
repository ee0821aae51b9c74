import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type { RequestOrigin } from '../common/request-origin.js';
import { Environment } from '../config/environment.js';
import { parseDuration } from '../config/duration.js';
import { logSecurityEvent } from '../logging/security-events.js';
import type { User } from '../users/user.entity.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { Session } from './session.entity.js';
import { SessionRepository } from './session.repository.js';
import { generateSessionToken, hashSessionToken } from './session-token.js';

const PURGE_INTERVAL_MS = 10 * 60_000;
const USER_AGENT_MAX_LENGTH = 255;

@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly ttlMs: number;
  private readonly idleTimeoutSeconds: number;

  constructor(
    private readonly em: EntityManager,
    private readonly sessions: SessionRepository,
    private readonly loginThrottle: LoginThrottleService,
    @Inject(Environment) environment: Environment,
  ) {
    this.ttlMs = parseDuration(environment.SESSION_TTL);
    this.idleTimeoutSeconds = Math.floor(parseDuration(environment.SESSION_IDLE_TIMEOUT) / 1000);
  }

  /** Starts a session; the returned token is the only copy there will ever be. */
  async start(user: User, userAgent: string | undefined): Promise<{ token: string; session: Session }> {
    const token = generateSessionToken();
    const session = new Session(user, hashSessionToken(token), new Date(Date.now() + this.ttlMs));
    session.userAgent = userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null;
    await this.em.persist(session).flush();
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

  async listLive(userId: string): Promise<Session[]> {
    const idleCutoff = new Date(Date.now() - this.idleTimeoutSeconds * 1000);
    return this.sessions.find(
      { user: userId, expiresAt: { $gt: new Date() }, lastUsedAt: { $gt: idleCutoff } },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  /** Another user's session id answers exactly like a missing one. */
  async revoke(userId: string, sessionId: string, origin: RequestOrigin, reason: 'logout' | 'revoked'): Promise<void> {
    const deleted = await this.sessions.nativeDelete({ id: sessionId, user: userId });
    if (deleted === 0) {
      throw new NotFoundException('No such session.');
    }
    logSecurityEvent('session.revoked', origin, { userId, sessionId, reason });
  }

  @Interval(PURGE_INTERVAL_MS)
  async purgeExpired(): Promise<void> {
    const em = this.em.fork();
    const removed = await em.getRepository(Session).deleteExpired(this.idleTimeoutSeconds);
    await this.loginThrottle.purgeExpired(em);
    if (removed > 0) {
      this.logger.log(`Purged ${removed} expired session(s)`);
    }
  }
}
