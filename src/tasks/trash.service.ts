import { Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ActivityService } from '../activity/activity.service.js';
import type { RequestActor } from '../common/actor.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { parseDuration } from '../config/duration.js';
import { Environment } from '../config/environment.js';
import { ExclusiveJobs } from '../database/exclusive-job.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TaskResponse } from './dto/task-response.dto.js';
import { ifMatchSatisfied, taskEtag } from './task-etag.js';
import type { TaskRecord } from './task.entity.js';
import { busyTask, preconditionFailed, TaskWriter } from './task-writer.js';
import { TaskRepository, type ReadableTask } from './task.repository.js';
import { TaskAccess } from './task-access.js';
import { TaskPages } from './task-pages.js';
import { CategoryAccessService } from '../categories/category-access.service.js';
import type { TaskPage } from './tasks.service.js';

const TRASH_LIST = listFingerprint({ list: 'trash', sort: '-deletedAt' });
const RETENTION_INTERVAL_MS = 60 * 60_000;
const RETENTION_BATCH = 1_000;
const MAX_PURGE_ATTEMPTS = 3;

/** Tasks in the trash: listed, restored, or deleted for good (by the owner or after TRASH_RETENTION). */
@Injectable()
export class TrashService {
  private readonly logger = new Logger(TrashService.name);
  private readonly retentionMs: number;

  constructor(
    private readonly tasks: TaskRepository,
    private readonly pages: TaskPages,
    private readonly writer: TaskWriter,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    private readonly jobs: ExclusiveJobs,
    private readonly access: TaskAccess,
    private readonly categories: CategoryAccessService,
    @Inject(Environment) environment: Environment,
  ) {
    this.retentionMs = parseDuration(environment.TRASH_RETENTION);
  }

  /** The trash of the caller's own tasks and of the categories shared with them. */
  async list(userId: string, limit: number, cursor?: string): Promise<TaskPage> {
    const after = cursor ? decodeCursor(cursor, TRASH_LIST) : undefined;
    const rows = await this.pages.findTrashPage({ ownerId: userId, sharedCategoryIds: await this.categories.sharedWith(userId) }, after, limit);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(TaskResponse.from),
      nextCursor: rows.length > limit && last ? encodeCursor(TRASH_LIST, { value: last.cursor_value, id: last.id }) : null,
    };
  }

  /** Back with its fields and a new version; 404 unless it is in the caller's trash. */
  restore(actor: RequestActor, taskId: string, ifMatch?: string): Promise<TaskResponse> {
    // A subtask restored without its parent (still in the trash, or gone) comes back as a top-level task.
    return this.writer.apply(actor, taskId, ifMatch, 'restore', this.findTrashed, async (current) => ({
      deletedAt: null,
      ...(current.parent !== null && !(await this.tasks.findLive(actor.userId, current.parent)) && { parent: null }),
    }));
  }

  /** Deletes a trashed task for good; its activity entries stay until ACTIVITY_RETENTION. */
  async purge(actor: RequestActor, taskId: string, ifMatch?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.findTrashed(actor.userId, taskId);
      if (!current) {
        throw new NotFoundException('No such task in the trash.');
      }
      this.access.assertCanEdit(actor.userId, current);
      if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, taskEtag(current))) {
        throw preconditionFailed();
      }
      const audience = await this.access.audience(current);
      const purged = await this.unitOfWork.run(async () => {
        if (!(await this.tasks.purgeIfVersion(taskId, current.version))) {
          return false;
        }
        await this.activity.record(audience, actor, [{ entityType: 'task', entityId: taskId, action: 'purge', changes: {} }]);
        return true;
      });
      if (purged) {
        return;
      }
      if (ifMatch !== undefined) {
        throw preconditionFailed();
      }
      if (attempt >= MAX_PURGE_ATTEMPTS) {
        throw busyTask();
      }
    }
  }

  /** One batch of trash older than TRASH_RETENTION, recorded as purged by the server (no actor). */
  @Interval(RETENTION_INTERVAL_MS)
  async purgeExpired(): Promise<number> {
    let purged = 0;
    await this.jobs.run('trash-retention', async () => {
      const expired = await this.tasks.findExpiredTrash(new Date(Date.now() - this.retentionMs), RETENTION_BATCH);
      await this.tasks.purge(expired);
      // Grouped by who sees them: the owner, and the members of the category they were in.
      const byAudience = new Map<string, TaskRecord[]>();
      for (const task of expired) {
        const key = `${task.user}:${task.category}`;
        byAudience.set(key, [...(byAudience.get(key) ?? []), task]);
      }
      for (const tasks of byAudience.values()) {
        await this.activity.record(
          await this.access.audience(tasks[0]),
          { userId: null, requestId: null },
          tasks.map((task) => ({ entityType: 'task', entityId: task.id, action: 'purge', changes: {} })),
        );
      }
      purged = expired.length;
    });
    if (purged > 0) {
      this.logger.log(`Purged ${purged} task(s) past TRASH_RETENTION`);
    }
    return purged;
  }

  private readonly findTrashed = (userId: string, taskId: string): Promise<ReadableTask | undefined> =>
    this.tasks.findTrashed(userId, taskId);
}
