import { Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import type { ActivityAction } from '../activity/activity.entity.js';
import type { RequestActor } from '../common/actor.js';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TaskResponse } from './dto/task-response.dto.js';
import { changedValues, completedAtAfter, fieldChanges } from './task-changes.js';
import { ifMatchSatisfied, taskEtag } from './task-etag.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { TaskAccess } from './task-access.js';
import type { TaskRow, TaskValues } from './task.entity.js';
import { labelKeysOf } from './task-labels.js';
import { TaskRepository, type ReadableTask } from './task.repository.js';

/** What a versioned write may set: the client's values, the owner (a move), and the trash mark. */
export type TaskChange = TaskValues & { user?: string; deletedAt?: Date | null };

export type TaskLookup = (userId: string, taskId: string) => Promise<ReadableTask | undefined>;

/** Without If-Match a write that loses a race to another is re-applied on the fresh row. */
const MAX_WRITE_ATTEMPTS = 3;

export const preconditionFailed = () =>
  new ApiProblemException(412, 'The task changed since you read it: fetch it again (If-Match is stale).', {
    type: 'precondition-failed',
  });

export const busyTask = () =>
  // No precondition was sent, so not 412: a transient conflict, like a busy database.
  new ApiProblemException(503, 'The task is being changed by other requests; retry shortly.', {
    type: 'unavailable',
    headers: { 'Retry-After': '1' },
  });

/**
 * The one write path of an existing task: read it, check If-Match, compute what changes, then in
 * one unit of work the UPDATE (its WHERE holds the version: of two writes with the same If-Match
 * exactly one wins, the other gets 412) and the activity entry. A change that changes nothing
 * writes nothing and keeps the version.
 */
@Injectable()
export class TaskWriter {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    private readonly access: TaskAccess,
  ) {}

  async apply(
    actor: RequestActor,
    taskId: string,
    ifMatch: string | undefined,
    action: ActivityAction,
    find: TaskLookup,
    change: (current: ReadableTask) => Promise<TaskChange>,
  ): Promise<TaskResponse> {
    for (let attempt = 1; ; attempt++) {
      const current = await find(actor.userId, taskId);
      if (!current) {
        throw new NotFoundException('No such task.');
      }
      this.access.assertCanEdit(actor.userId, current);
      if (ifMatch !== undefined && !ifMatchSatisfied(ifMatch, taskEtag(current))) {
        throw preconditionFailed();
      }
      const { deletedAt, ...values } = await change(current);
      const changes: TaskValues & Pick<TaskChange, 'user' | 'deletedAt'> & { completedAt?: Date | null } = changedValues(current, values);
      if (deletedAt !== undefined && deletedAt !== current.deletedAt) {
        changes.deletedAt = deletedAt;
      }
      if (Object.keys(changes).length === 0) {
        return TaskResponse.from(current);
      }
      const now = new Date();
      const labelKeys = changes.labels === undefined ? undefined : labelKeysOf(changes.labels);
      if (changes.status !== undefined) {
        changes.completedAt = completedAtAfter(current, changes.status, now);
      }
      const { assignee, ...unchangedPeople } = changes;
      const updated: TaskRow = { ...current, ...unchangedPeople, updatedAt: now, version: current.version + 1 };
      if (assignee !== undefined) {
        updated.assignee = assignee === null ? null : ((await this.tasks.findPeople([assignee])).get(assignee) ?? null);
      }
      const response = TaskResponse.from(updated);
      // Everyone who saw it before the write and everyone who sees it after (a move between categories).
      const audience = [...(await this.access.audience(current)), ...(changes.user !== undefined || changes.category !== undefined ? await this.access.audience(updated) : [])];
      const written = await this.unitOfWork.run(async () => {
        if (changes.user !== undefined && !(await this.tasks.reserveQuota(changes.user, this.access.maxTasks))) {
          throw quotaExceeded(this.access.maxTasks, 'tasks');
        }
        if (!(await this.tasks.updateIfVersion(taskId, current.version, { ...changes, labelKeys, updatedAt: now }))) {
          return false;
        }
        await this.activity.record(audience, actor, [
          { entityType: 'task', entityId: taskId, action, changes: fieldChanges(TaskResponse.from(current), response) },
        ]);
        return true;
      });
      if (written) {
        return response;
      }
      if (ifMatch !== undefined) {
        throw preconditionFailed();
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw busyTask();
      }
    }
  }
}
