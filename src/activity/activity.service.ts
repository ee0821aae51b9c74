import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { ExclusiveJobs } from '../database/exclusive-job.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { ActivityRecorded } from './activity-events.js';
import type { ActivityAction, ActivityEntityType } from './activity.entity.js';
import { ActivityRepository, type ActivityFilters, type NewActivity, type StreamEntry } from './activity.repository.js';
import { ActivityResponse, type ActivityPageResponse } from './dto/activity-response.dto.js';

/** Who made a change, as the activity log records it. A null user is the server's own job. */
export interface Actor {
  userId: string | null;
  requestId: string | null;
}

export interface ActivityQuery {
  entityType?: ActivityEntityType;
  action?: ActivityAction;
  limit: number;
  cursor?: string;
}

export type { StreamEntry };

const PRUNE_INTERVAL_MS = 60 * 60_000;
const PRUNE_BATCH = 5_000;
const SEQ = /^[1-9]\d{0,18}$/;

@Injectable()
export class ActivityService {
  private readonly logger = new Logger(ActivityService.name);
  private readonly retentionMs: number;

  constructor(
    private readonly em: EntityManager,
    private readonly activity: ActivityRepository,
    private readonly jobs: ExclusiveJobs,
    private readonly unitOfWork: UnitOfWork,
    @Inject(Environment) environment: Environment,
  ) {
    this.retentionMs = parseDuration(environment.ACTIVITY_RETENTION);
  }

  /**
   * Appends entries to the stream of each of `streamOwners` (everyone who can see the entities:
   * a shared category's owner and members) inside the caller's unit of work: refused outside one,
   * where the entries could commit without their change or the change without them.
   */
  async record(streamOwners: string | readonly string[], actor: Actor, entries: NewActivity[]): Promise<void> {
    if (!this.em.isInTransaction()) {
      throw new Error('Activity is recorded inside the unit of work of its change');
    }
    if (entries.length === 0) {
      return;
    }
    // Sorted, so two transactions appending to the same streams lock them in the same order.
    for (const ownerId of [...new Set(typeof streamOwners === 'string' ? [streamOwners] : streamOwners)].sort()) {
      const recorded = await this.activity.append(ownerId, actor.userId, actor.requestId, entries);
      await this.unitOfWork.publish(new ActivityRecorded(ownerId, recorded));
    }
  }

  /** The caller's whole stream, newest first. */
  list(ownerId: string, query: ActivityQuery): Promise<ActivityPageResponse> {
    return this.page(ownerId, { entityType: query.entityType, action: query.action }, query);
  }

  /** One entity's entries; 404 when the caller's stream has none (another user's, or unknown). */
  async listForEntity(ownerId: string, entityType: ActivityEntityType, entityId: string, query: ActivityQuery): Promise<ActivityPageResponse> {
    const page = await this.page(ownerId, { entityType, entityId, action: query.action }, query);
    if (page.items.length === 0 && query.cursor === undefined && query.action === undefined) {
      throw new NotFoundException(`No such ${entityType}.`);
    }
    return page;
  }

  /** The last number of the owner's stream: it grows with each committed change. */
  lastSeq(ownerId: string): Promise<string> {
    return this.activity.lastSeq(ownerId);
  }

  /**
   * For the change feed: the last number of the owner's stream (read first, so every entry up to
   * it is visible to the read that follows), then up to `limit` entries after `afterSeq`.
   */
  async entriesAfter(ownerId: string, afterSeq: string, limit: number): Promise<{ lastSeq: string; entries: StreamEntry[] }> {
    const lastSeq = await this.activity.lastSeq(ownerId);
    const entries = BigInt(lastSeq) > BigInt(afterSeq) ? await this.activity.findAfter(ownerId, afterSeq, limit) : [];
    return { lastSeq, entries };
  }

  @Interval(PRUNE_INTERVAL_MS)
  async pruneExpired(): Promise<number> {
    let removed = 0;
    await this.jobs.run('activity-retention', async () => {
      removed = await this.activity.deleteOlderThan(new Date(Date.now() - this.retentionMs), PRUNE_BATCH);
    });
    if (removed > 0) {
      this.logger.log(`Pruned ${removed} activity entr${removed === 1 ? 'y' : 'ies'} past ACTIVITY_RETENTION`);
    }
    return removed;
  }

  private async page(ownerId: string, filters: ActivityFilters, query: ActivityQuery): Promise<ActivityPageResponse> {
    const fingerprint = listFingerprint({ list: 'activity', ...filters });
    const after = query.cursor ? decodeCursor(query.cursor, fingerprint) : undefined;
    if (after && (after.value === null || !SEQ.test(after.value))) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
    }
    const entries = await this.activity.findPage(ownerId, filters, after?.value ?? undefined, query.limit);
    const items = entries.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(ActivityResponse.from),
      // The seq alone orders the stream; the entity id fills the cursor's tie-breaker slot.
      nextCursor: entries.length > query.limit && last ? encodeCursor(fingerprint, { value: last.seq, id: last.entityId }) : null,
    };
  }
}
