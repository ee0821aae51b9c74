import { EntityRepository, raw } from '@mikro-orm/postgresql';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { cursorTimestampSql, type CursorPosition } from '../common/keyset-cursor.js';
import type { Session } from './session.entity.js';

/** A session as the list query selects it: timestamps already ISO 8601 UTC text. */
export interface SessionRow {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  /** created_at with microseconds: the keyset position of this row. */
  cursor_value: string;
}

const isoTimestamp = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;

const LIVE = 'expires_at > now() and last_used_at > now() - make_interval(secs => ?)';

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
    await this.nativeUpdate({ id: sessionId }, { lastUsedAt: raw('now()') });
  }

  /** Past their absolute expiry or idle for longer than the timeout, by the database's clock. */
  async deleteExpired(idleTimeoutSeconds: number): Promise<number> {
    return this.nativeDelete({
      $or: [{ expiresAt: { $lte: raw('now()') } }, { lastUsedAt: { $lte: raw('now() - make_interval(secs => ?)', [idleTimeoutSeconds]) } }],
    });
  }

  /**
   * One keyset page of the user's live sessions, newest first ((created_at, id) descending, served
   * by sessions_user_id_idx: a user has at most MAX_SESSIONS_PER_USER): `limit + 1` rows, so the
   * caller knows whether another page follows.
   */
  async findLivePage(userId: string, idleTimeoutSeconds: number, after: CursorPosition | undefined, limit: number): Promise<SessionRow[]> {
    const keyset = after ? 'and (created_at, id) < (?::timestamptz, ?::uuid)' : '';
    return this.getEntityManager().execute<SessionRow[]>(
      `select id, ${['created_at', 'last_used_at', 'expires_at'].map(isoTimestamp).join(', ')}, user_agent,
              ${cursorTimestampSql('created_at')} as cursor_value
         from sessions
        where user_id = ? and ${LIVE} ${keyset}
        order by created_at desc, id desc
        limit ?`,
      [userId, idleTimeoutSeconds, ...(after ? [after.value, after.id] : []), limit + 1],
    );
  }

  /**
   * Keeps the user's `keep` newest live sessions besides `newSessionId` and deletes the rest (the
   * oldest by creation, and any expired or idle ones). Run inside the login's transaction, after
   * the owner's row is locked, so concurrent logins cannot both keep a slot.
   */
  async revokeAllButNewest(userId: string, newSessionId: string, keep: number, idleTimeoutSeconds: number): Promise<number> {
    const result = await this.getEntityManager().execute<{ affectedRows: number }>(
      `delete from sessions
        where user_id = ? and id <> ? and id not in (
          select id from sessions
           where user_id = ? and id <> ? and ${LIVE}
           order by created_at desc, id desc
           limit ?)`,
      [userId, newSessionId, userId, newSessionId, idleTimeoutSeconds, keep],
      'run',
    );
    return result.affectedRows;
  }
}
