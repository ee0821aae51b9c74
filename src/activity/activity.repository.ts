import { EntityRepository } from '@mikro-orm/postgresql';
import { ActivityStream, STREAM_APPENDED_CHANNEL } from './activity-stream.entity.js';
import { Activity, type ActivityAction, type ActivityEntityType, type FieldChanges } from './activity.entity.js';

export interface NewActivity {
  entityType: ActivityEntityType;
  entityId: string;
  action: ActivityAction;
  changes: FieldChanges;
}

/** One entry as it was numbered in its owner's stream. */
export interface RecordedEntry {
  seq: string;
  entityType: ActivityEntityType;
  entityId: string;
  action: ActivityAction;
}

/** An entry as the change feed reads it: which entity changed how, and where in the stream. */
export interface StreamEntry {
  seq: string;
  at: Date;
  entityType: ActivityEntityType;
  entityId: string;
  action: ActivityAction;
}

export interface ActivityFilters {
  entityId?: string;
  entityType?: ActivityEntityType;
  action?: ActivityAction;
}

/** Only the activity module writes `activity` and `activity_streams`. */
export class ActivityRepository extends EntityRepository<Activity> {
  /**
   * Numbers the entries from the owner's stream, inserts them and notifies the stream's followers,
   * in one statement inside the caller's transaction: the upsert bumps the owner's counter and keeps its row locked until that
   * transaction ends, so a later number cannot commit before an earlier one. One raw statement
   * instead of the QueryBuilder upsert plus `insertMany`: a counter bump feeding an insert is SQL
   * the builder cannot say, and the two ORM calls cost about 1.1 ms of CPU inside a transaction
   * against about 0.3 ms for this one (docs/PERFORMANCE.md, "One statement per activity entry").
   * Table and column names come from the metadata.
   */
  async append(ownerId: string, actorId: string | null, requestId: string | null, entries: NewActivity[]): Promise<RecordedEntry[]> {
    const count = entries.length;
    const numbered = await this.getEntityManager().execute<Array<{ seq: string }>>(this.appendStatement(), [
      ownerId,
      count,
      ownerId,
      ownerId,
      count,
      actorId,
      requestId,
      JSON.stringify(entries),
    ]);
    const seqs = numbered.map((row) => String(row.seq)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    return entries.map(({ entityType, entityId, action }, index) => ({ seq: seqs[index], entityType, entityId, action }));
  }

  private appendStatementText?: string;

  private appendStatement(): string {
    if (this.appendStatementText) {
      return this.appendStatementText;
    }
    const em = this.getEntityManager();
    const streams = em.getMetadata(ActivityStream);
    const activity = em.getMetadata(Activity);
    const streamColumn = (property: keyof ActivityStream & string) => `"${streams.properties[property].fieldNames[0]}"`;
    const column = (property: keyof Activity & string) => `"${activity.properties[property].fieldNames[0]}"`;
    const lastSeq = streamColumn('lastSeq');
    this.appendStatementText = `with stream as (
        insert into "${streams.tableName}" (${streamColumn('user')}, ${lastSeq}) values (?, ?)
        on conflict (${streamColumn('user')}) do update set ${lastSeq} = "${streams.tableName}".${lastSeq} + excluded.${lastSeq}
        returning ${lastSeq} as last_seq),
      -- Delivered when the transaction commits; referenced below, as a SELECT in WITH runs only then.
      notified as (select pg_notify('${STREAM_APPENDED_CHANNEL}', ?::text))
      insert into "${activity.tableName}" (${['user', 'seq', 'actor', 'requestId', 'entityType', 'entityId', 'action', 'changes'].map((p) => column(p as keyof Activity & string)).join(', ')})
      select ?, stream.last_seq - ? + entry.position, ?, ?, entry."entityType", entry."entityId", entry.action, entry.changes
        from stream, notified, rows from (jsonb_to_recordset(?::jsonb) as ("entityType" text, "entityId" uuid, action text, changes jsonb))
          with ordinality as entry("entityType", "entityId", action, changes, position)
      returning ${column('seq')} as seq`;
    return this.appendStatementText;
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

  /**
   * The owner's entries after `afterSeq`, oldest first, at most `limit`: the change feed walks
   * (user_id, seq) forwards along the unique index. A stream's numbers are contiguous, so the
   * page is also the range (afterSeq, afterSeq + limit]: saying so bounds what any plan reads to
   * one page, where with `seq > ?` alone PostgreSQL may read the rest of a long stream by bitmap
   * scan and sort it (a follower days behind). Public so the query-plan test EXPLAINs it.
   */
  afterQuery(ownerId: string, afterSeq: string, limit: number) {
    return this.createQueryBuilder('activity')
      .select(['seq', 'at', 'entityType', 'entityId', 'action'])
      .where({ user: ownerId, seq: { $gt: afterSeq, $lte: String(BigInt(afterSeq) + BigInt(limit)) } })
      .orderBy({ seq: 'asc' })
      .limit(limit);
  }

  async findAfter(ownerId: string, afterSeq: string, limit: number): Promise<StreamEntry[]> {
    const rows = await this.afterQuery(ownerId, afterSeq, limit).execute('all');
    return rows.map(({ seq, at, entityType, entityId, action }) => ({ seq, at: new Date(at), entityType, entityId, action }));
  }

  /** The last number handed out in the owner's stream, "0" before the first entry. */
  async lastSeq(ownerId: string): Promise<string> {
    const stream = await this.getEntityManager().findOne(ActivityStream, { user: ownerId }, { fields: ['lastSeq'], disableIdentityMap: true });
    return stream?.lastSeq ?? '0';
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
