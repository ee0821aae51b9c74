import { EntityRepository } from '@mikro-orm/postgresql';
import type { AuthenticatedUser } from './authenticated-user.js';
import type { Session } from './session.entity.js';

/** Refresh `last_used_at` at most this often: a write per minute per session, not per request. */
export const LAST_USED_REFRESH_SECONDS = 60;

export class SessionRepository extends EntityRepository<Session> {
  /**
   * One query per authenticated request: the session by token hash, alive (absolute expiry and
   * idle timeout) and belonging to an active user.
   */
  async findLive(tokenHash: string, idleTimeoutSeconds: number): Promise<(AuthenticatedUser & { stale: boolean }) | null> {
    const [row] = await this.getEntityManager().execute<
      { id: string; user_id: string; stale: boolean }[]
    >(
      `select s.id, s.user_id, s.last_used_at < now() - make_interval(secs => ?) as stale
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = ? and s.expires_at > now()
          and s.last_used_at > now() - make_interval(secs => ?) and u.is_active`,
      [LAST_USED_REFRESH_SECONDS, tokenHash, idleTimeoutSeconds],
    );
    return row ? { sessionId: row.id, userId: row.user_id, stale: row.stale } : null;
  }

  async touch(sessionId: string): Promise<void> {
    await this.getEntityManager().execute('update sessions set last_used_at = now() where id = ?', [sessionId]);
  }

  async deleteExpired(idleTimeoutSeconds: number): Promise<number> {
    const result = await this.getEntityManager().execute<{ affectedRows: number }>(
      'delete from sessions where expires_at <= now() or last_used_at <= now() - make_interval(secs => ?)',
      [idleTimeoutSeconds],
      'run',
    );
    return result.affectedRows;
  }
}
