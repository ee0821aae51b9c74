import { Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import type { ActivityAction } from '../activity/activity.entity.js';
import type { RequestActor } from '../common/actor.js';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { OccurrenceResponse } from './dto/recurrence.dto.js';
import { TaskResponse } from './dto/task-response.dto.js';
import { TaskOccurrences } from './recurrence/task-occurrences.js';
import { advanceOnCompletion } from './recurrence/task-recurrence.js';
import { changedValues, completedAtAfter, fieldChanges } from './task-changes.js';
import { ifMatchSatisfied, taskEtag } from './task-etag.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { TaskAccess } from './task-access.js';
import { TaskHierarchy, type CascadedChange } from './task-hierarchy.js';
import { isPositionTaken, listOf, TaskPositions } from './task-positions.js';
import type { TaskRow, TaskValues } from './task.entity.js';
import { labelKeysOf } from './task-labels.js';
import { TaskRepository, type ReadableTask } from './task.repository.js';

/** What a versioned write may set: the client's values, the owner (a move), the trash mark and the place in the list. */
export type TaskChange = TaskValues & { user?: string; deletedAt?: Date | null; position?: string };

type NewActivity = Parameters<ActivityService['record']>[2][number];

export type TaskLookup = (userId: string, taskId: string) => Promise<ReadableTask | undefined>;

export interface WriteOptions {
  /** A new place in its list (a move), computed under the list owner's lock. */
  placeInList?: (current: ReadableTask) => Promise<string>;
  /** Completing a recurring task moves it past the occurrences already missed, to the first after now. */
  skipMissed?: boolean;
}

const PLACE_TAKEN = Symbol('the place in the list was taken');

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
    private readonly positions: TaskPositions,
    private readonly occurrences: TaskOccurrences,
    private readonly hierarchy: TaskHierarchy,
  ) {}

  /**
   * What follows a task to its subtasks, in its unit of work: trashed and restored with it,
   * completed with it, started over when a recurring task moves on. One activity entry each
   * (a subtask is in its parent's category, so the audience is the same).
   */
  private async cascadeToSubtasks(taskId: string, current: ReadableTask, changes: TaskChange, advanced: boolean, now: Date): Promise<NewActivity[]> {
    const entries = (action: ActivityAction) => (cascaded: CascadedChange[]) =>
      cascaded.map(({ id, changes: changed }): NewActivity => ({ entityType: 'task', entityId: id, action, changes: changed }));
    // A live task with no live subtasks has no live descendants (a live task's parent is live):
    // nothing to trash, complete or reset. Only a restore looks for descendants in any case.
    const hasLiveSubtasks = current.subtasks.total > 0;
    if (changes.deletedAt instanceof Date) {
      if (!hasLiveSubtasks) {
        return [];
      }
      return entries('delete')(await this.hierarchy.trashDescendants(taskId, changes.deletedAt, now));
    }
    if (changes.deletedAt === null && current.deletedAt !== null) {
      return entries('restore')(await this.hierarchy.restoreDescendants(taskId, new Date(current.deletedAt), now));
    }
    if (!hasLiveSubtasks) {
      return [];
    }
    if (advanced) {
      return entries('update')(await this.hierarchy.resetDescendants(taskId, now));
    }
    if (changes.status === 'completed') {
      return entries('update')(await this.hierarchy.completeOpenDescendants(taskId, now));
    }
    return [];
  }

  async apply(
    actor: RequestActor,
    taskId: string,
    ifMatch: string | undefined,
    action: ActivityAction,
    find: TaskLookup,
    change: (current: ReadableTask) => Promise<TaskChange>,
    { placeInList, skipMissed = false }: WriteOptions = {},
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
      const now = new Date();
      // Completing a recurring task records the occurrence and moves it on to the next due date.
      const advance = values.status === 'completed' && current.status !== 'completed'
        ? advanceOnCompletion(
            { recurrence: values.recurrence === undefined ? current.recurrence : values.recurrence, dueDate: values.dueDate === undefined ? current.dueDate : values.dueDate },
            now,
            skipMissed,
          )
        : undefined;
      const changes: TaskValues & Pick<TaskChange, 'user' | 'deletedAt' | 'position'> & { completedAt?: Date | null } = changedValues(
        current,
        advance ? { ...values, status: 'pending', dueDate: advance.nextDueDate } : values,
      );
      if (deletedAt !== undefined && deletedAt !== current.deletedAt) {
        changes.deletedAt = deletedAt;
      }
      if (Object.keys(changes).length === 0 && !placeInList) {
        return TaskResponse.from(current);
      }
      if (changes.status !== undefined) {
        changes.completedAt = completedAtAfter(current, changes.status, now);
      }
      const labelKeys = changes.labels === undefined ? undefined : labelKeysOf(changes.labels);
      const { assignee, ...unchangedPeople } = changes;
      const updated: TaskRow = { ...current, ...unchangedPeople, updatedAt: now, version: current.version + 1 };
      if (assignee !== undefined) {
        updated.assignee = assignee === null ? null : ((await this.tasks.findPeople([assignee])).get(assignee) ?? null);
      }
      const changesList = changes.user !== undefined || changes.category !== undefined;
      // Everyone who saw it before the write and everyone who sees it after (a move between categories).
      const audience = [...(await this.access.audience(current)), ...(changesList ? await this.access.audience(updated) : [])];
      const written = await this.unitOfWork
        .run(async () => {
          if (changes.user !== undefined && !(await this.tasks.reserveQuota(changes.user, this.access.maxTasks))) {
            throw quotaExceeded(this.access.maxTasks, 'tasks');
          }
          // A new place in a list is read under the list owner's lock, as creates read theirs, so
          // writes of one list never pick the same key (the unique index would refuse the second).
          if (changesList) {
            if (changes.user === undefined) {
              await this.positions.lockOwner(updated.user);
            }
            changes.position = updated.position = await this.positions.atEnd(listOf(updated));
          } else if (placeInList) {
            await this.positions.lockOwner(current.user);
            changes.position = updated.position = await placeInList(current);
          }
          if (changes.parent !== undefined && changes.parent !== null) {
            // Re-parentings of one list wait for each other here, then check the committed tree.
            if (!changesList && !placeInList) {
              await this.positions.lockOwner(current.user);
            }
            await this.hierarchy.checkPlace(taskId, changes.parent);
          }
          if (!(await this.tasks.updateIfVersion(taskId, current.version, { ...changes, labelKeys, updatedAt: now }))) {
            return undefined;
          }
          const subtasks = await this.cascadeToSubtasks(taskId, current, changes, advance !== undefined, now);
          if (subtasks.length > 0) {
            updated.subtasks = await this.tasks.subtaskCounts(taskId);
          }
          const response = TaskResponse.from(updated);
          const recorded = fieldChanges(TaskResponse.from(current), response);
          if (advance) {
            const occurrenceId = await this.occurrences.record(taskId, advance.occurrence);
            recorded.occurrence = { from: null, to: { id: occurrenceId, ...OccurrenceResponse.from(advance.occurrence) } };
          }
          await this.activity.record(audience, actor, [{ entityType: 'task', entityId: taskId, action, changes: recorded }, ...subtasks]);
          return response;
        })
        .catch((error: unknown): typeof PLACE_TAKEN => {
          // Another write took the same place in the list first: try again on fresh rows (the
          // task itself may be unchanged, so If-Match still decides on the next read).
          if (isPositionTaken(error)) {
            return PLACE_TAKEN;
          }
          throw error;
        });
      if (written !== undefined && written !== PLACE_TAKEN) {
        return written;
      }
      if (ifMatch !== undefined && written !== PLACE_TAKEN) {
        throw preconditionFailed();
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) {
        throw busyTask();
      }
    }
  }
}
