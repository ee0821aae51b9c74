import { Inject, Injectable } from '@nestjs/common';
import { ActivityService, type StreamEntry } from '../activity/activity.service.js';
import { CategoriesService } from '../categories/categories.service.js';
import { CategoryResponse } from '../categories/dto/category-response.dto.js';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { TasksService } from '../tasks/tasks.service.js';
import { decodeChangeCursor, encodeChangeCursor } from './change-cursor.js';
import type { ChangeResponse, ChangesPageResponse } from './dto/change-response.dto.js';
import { StreamWaits } from './stream-waits.js';

const cursorExpired = () =>
  new ApiProblemException(410, 'This cursor is older than the change feed keeps: list tasks and categories again, then follow the feed from a cursor taken without one.', {
    type: 'cursor-expired',
  });

/**
 * The change feed: the caller's activity stream read forwards, each entry turned into the current
 * state of its entity. The stream is numbered in commit order (ActivityStream), so a reader never
 * passes a number whose change commits later; a gap in the numbers means retention removed it.
 */
@Injectable()
export class ChangesService {
  private readonly retentionMs: number;

  constructor(
    private readonly activity: ActivityService,
    private readonly tasks: TasksService,
    private readonly categories: CategoriesService,
    private readonly waits: StreamWaits,
    @Inject(Environment) environment: Environment,
  ) {
    this.retentionMs = parseDuration(environment.CHANGES_RETENTION);
  }

  async follow(userId: string, cursorText: string | undefined, limit: number, waitSeconds = 0): Promise<ChangesPageResponse> {
    if (cursorText === undefined) {
      const lastSeq = await this.activity.lastSeq(userId);
      return { changes: [], cursor: encodeChangeCursor({ userId, seq: lastSeq, issuedAt: Date.now() }), hasMore: false };
    }
    const cursor = decodeChangeCursor(cursorText, userId);
    if (cursor.issuedAt < Date.now() - this.retentionMs) {
      throw cursorExpired();
    }
    if (waitSeconds > 0) {
      const hasChanged = async () => BigInt(await this.activity.lastSeq(userId)) > BigInt(cursor.seq);
      if ((await this.waits.waitForChange(userId, waitSeconds * 1000, hasChanged)) === 'closing') {
        // The instance is shutting down (the database may be going too): nothing seen, same position.
        return { changes: [], cursor: encodeChangeCursor({ ...cursor, issuedAt: Date.now() }), hasMore: false };
      }
    }
    const now = Date.now();
    const { lastSeq, entries } = await this.activity.entriesAfter(userId, cursor.seq, limit + 1);
    if (BigInt(cursor.seq) > BigInt(lastSeq)) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is ahead of your change feed: it was not issued by this API' }]);
    }
    const expectedFirst = BigInt(cursor.seq) + 1n;
    if (BigInt(lastSeq) >= expectedFirst && (entries.length === 0 || BigInt(entries[0].seq) !== expectedFirst)) {
      throw cursorExpired();
    }
    const page = entries.slice(0, limit);
    const position = page.at(-1)?.seq ?? cursor.seq;
    return {
      changes: await this.changesOf(userId, page),
      cursor: encodeChangeCursor({ userId, seq: position, issuedAt: now }),
      hasMore: entries.length > limit,
    };
  }

  /** The feed's change objects for these entries, as GET /changes would answer them now (webhook payloads). */
  describe(userId: string, entries: StreamEntry[]): Promise<ChangeResponse[]> {
    return this.changesOf(userId, entries);
  }

  /** One change per entity (its latest entry in the page), carrying the entity's state now. */
  private async changesOf(userId: string, entries: StreamEntry[]): Promise<ChangeResponse[]> {
    const latest = new Map(entries.map((entry) => [`${entry.entityType}:${entry.entityId}`, entry]));
    const ids = (type: StreamEntry['entityType']) => [...latest.values()].filter((entry) => entry.entityType === type).map((entry) => entry.entityId);
    const [tasks, categories, existingCategories] = await Promise.all([
      this.tasks.currentStates(userId, ids('task')),
      this.categories.findMany(userId, ids('category')),
      this.categories.existingIds(ids('category')),
    ]);
    const categoriesById = new Map(categories.map((found) => [found.category.id, CategoryResponse.from(found)]));
    return [...latest.values()]
      .sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))
      .map((entry): ChangeResponse => {
        const base = { seq: Number(entry.seq), at: entry.at.toISOString(), entityType: entry.entityType, entityId: entry.entityId };
        if (entry.entityType === 'category') {
          const category = categoriesById.get(entry.entityId);
          if (category) {
            return { ...base, op: 'upsert', data: category };
          }
          return { ...base, op: 'delete', reason: existingCategories.has(entry.entityId) ? 'access_revoked' : 'deleted' };
        }
        const task = tasks.get(entry.entityId);
        if (task && 'live' in task) {
          return { ...base, op: 'upsert', data: task.live };
        }
        return { ...base, op: 'delete', reason: !task ? 'purged' : 'trashed' in task ? 'trashed' : 'access_revoked' };
      });
  }
}
