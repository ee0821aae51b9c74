import { EntityRepository, raw } from '@mikro-orm/postgresql';
import { ActivityStream } from './activity-stream.entity.js';
import { Activity, type ActivityAction, type ActivityEntityType, type FieldChanges } from './activity.entity.js';

export interface NewActivity {
  entityType: ActivityEntityType;
  entityId: string;
  action: ActivityAction;
  changes: FieldChanges;
}

export interface ActivityFilters {
  entityId?: string;
  entityType?: ActivityEntityType;
  action?: ActivityAction;
}

/** Only the activity module writes `activity` and `activity_streams`. */
export class ActivityRepository extends EntityRepository<Activity> {
  /**
   * Numbers the entries from the owner's stream and inserts them: two statements, run inside the
   * caller's transaction. The stream row stays locked until that transaction ends, so a later
   * number cannot commit before an earlier one.
   */
  async append(ownerId: string, actorId: string | null, requestId: string | null, entries: NewActivity[]): Promise<void> {
    const em = this.getEntityManager();
    const stream = (await em
      .createQueryBuilder(ActivityStream)
      .insert({ user: ownerId, lastSeq: String(entries.length) })
      .onConflict('user')
      .merge({ lastSeq: raw(`activity_streams.last_seq + excluded.last_seq`) })
      .returning('lastSeq')
      .execute('get')) as { lastSeq: string };
    const first = BigInt(stream.lastSeq) - BigInt(entries.length) + 1n;
    await em.insertMany(
      Activity,
      entries.map((entry, index) => ({
        ...entry,
        user: ownerId,
        seq: String(first + BigInt(index)),
        actor: actorId,
        requestId,
      })),
    );
  }

  /**
   * One page of the owner's stream, newest first, from before `beforeSeq`; `limit + 1` entries,
   * each with its actor's id and username. Public so the query-plan test EXPLAINs it.
   */
  pageQuery(ownerId: string, filters: ActivityFilters, beforeSeq: string | undefined, limit: number) {
    return this.createQueryBuilder('activity')
      .select(['id', 'seq', 'at', 'entityType', 'entityId', 'action', 'changes'])
      .leftJoinAndSelect('activity.actor', 'actor', {}, ['id', 'username'])
      .where({
        user: ownerId,
        entityId: filters.entityId,
        entityType: filters.entityType,
        action: filters.action,
        ...(beforeSeq !== undefined && { seq: { $lt: beforeSeq } }),
      })
      .orderBy({ seq: 'desc' })
      .limit(limit + 1);
  }

  findPage(ownerId: string, filters: ActivityFilters, beforeSeq: string | undefined, limit: number) {
    return this.pageQuery(ownerId, filters, beforeSeq, limit).getResultList();
  }

  /** Deletes up to `limit` entries older than `cutoff`; the number deleted. */
  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const expired = await this.createQueryBuilder('activity')
      .select('id')
      .where({ at: { $lt: cutoff } })
      .limit(limit)
      .execute('all');
    if (expired.length === 0) {
      return 0;
    }
    return this.nativeDelete({ id: { $in: expired.map((entry) => entry.id) } });
  }
}
