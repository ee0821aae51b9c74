import { EntityRepository } from '@mikro-orm/postgresql';
import { User } from '../users/user.entity.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';

export type StoredAnswer = Pick<IdempotencyRecord, 'fingerprint' | 'status' | 'headers' | 'body'>;

/** Only the idempotency module writes `idempotency_records`. */
export class IdempotencyRepository extends EntityRepository<IdempotencyRecord> {
  /** The caller's unexpired answer under `key`, if any. */
  async findAnswer(userId: string, key: string, now: Date): Promise<StoredAnswer | null> {
    const [record] = await this.createQueryBuilder('record')
      .select(['fingerprint', 'status', 'headers', 'body'])
      .where({ user: userId, key, expiresAt: { $gt: now } })
      .execute('all');
    return record ?? null;
  }

  /**
   * Stores the answer, replacing an expired one under the same key; nothing when the write deleted
   * the caller's own account (DELETE /users/me), whose records would go with it anyway.
   */
  async store(userId: string, key: string, answer: StoredAnswer, expiresAt: Date): Promise<void> {
    const em = this.getEntityManager();
    const records = em.getMetadata(IdempotencyRecord);
    const users = em.getMetadata(User);
    const column = (property: keyof IdempotencyRecord & string) => `"${records.properties[property].fieldNames[0]}"`;
    const stored = ['user', 'key', 'fingerprint', 'status', 'headers', 'body', 'expiresAt'] as const;
    await em.execute(
      `insert into "${records.tableName}" (${stored.map(column).join(', ')})
       select ?, ?, ?, ?, ?::jsonb, ?, ? where exists (select 1 from "${users.tableName}" where "${users.properties.id.fieldNames[0]}" = ?)
       on conflict (${column('user')}, ${column('key')}) do update set ${stored.slice(2).map((property) => `${column(property)} = excluded.${column(property)}`).join(', ')}`,
      [userId, key, answer.fingerprint, answer.status, JSON.stringify(answer.headers), answer.body, expiresAt, userId],
    );
  }

  /** Deletes up to `limit` records expired before `now`; the number deleted. */
  async deleteExpired(now: Date, limit: number): Promise<number> {
    const expired = await this.createQueryBuilder('record').select(['user', 'key']).where({ expiresAt: { $lte: now } }).limit(limit).execute('all');
    if (expired.length === 0) {
      return 0;
    }
    return this.nativeDelete({ $or: expired.map(({ user, key }) => ({ user, key })) });
  }
}
