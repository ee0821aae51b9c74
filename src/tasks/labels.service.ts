import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import type { RequestActor } from '../common/actor.js';
import { validationProblem } from '../common/errors/api-problem.exception.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../common/keyset-cursor.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { LabelChangeResponse, LabelPageResponse } from './dto/labels.dto.js';
import { LABEL_PATTERN } from './dto/task-fields.js';
import { characterCount } from '../common/char-length.decorator.js';
import { TaskAccess } from './task-access.js';
import { labelKey, labelKeysOf, MAX_LABEL_LENGTH, renamedLabels, withoutLabel } from './task-labels.js';
import { countLabels, lockTasksWithLabel, writeLabels, type LabelledTask } from './task-labels.query.js';

/** Keys are unique within a page, so the cursor's id part is a constant. */
const NO_TIE = '00000000-0000-0000-0000-000000000000';
const FINGERPRINT = listFingerprint({ list: 'labels' });

/**
 * The caller's labels across their own tasks (private ones and those in their categories, trash
 * included for renames): listed with counts, renamed or removed everywhere in one unit of work,
 * each changed task getting a new version and an activity entry like any other update.
 */
@Injectable()
export class LabelsService {
  constructor(
    private readonly em: EntityManager,
    private readonly access: TaskAccess,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async list(userId: string, limit: number, cursor?: string): Promise<LabelPageResponse> {
    const afterKey = cursor === undefined ? undefined : (decodeCursor(cursor, FINGERPRINT).value ?? undefined);
    const rows = await countLabels(this.em, userId, afterKey, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map(({ name, taskCount }) => ({ name, taskCount })),
      nextCursor: rows.length > limit ? encodeCursor(FINGERPRINT, { value: page.at(-1)!.key, id: NO_TIE }) : null,
    };
  }

  rename(actor: RequestActor, name: string, newName: string): Promise<LabelChangeResponse> {
    return this.change(actor, name, (labels, key) => renamedLabels(labels, key, newName));
  }

  remove(actor: RequestActor, name: string): Promise<LabelChangeResponse> {
    return this.change(actor, name, withoutLabel);
  }

  private change(actor: RequestActor, name: string, relabel: (labels: string[], key: string) => string[]): Promise<LabelChangeResponse> {
    const key = labelKey(checkedLabelName(name));
    return this.unitOfWork.run(async () => {
      const tasks = await lockTasksWithLabel(this.em, actor.userId, key);
      if (tasks.length === 0) {
        throw new NotFoundException('None of your tasks has this label.');
      }
      const changed = tasks
        .map((task) => ({ task, labels: relabel(task.labels, key) }))
        .filter(({ task, labels }) => JSON.stringify(labels) !== JSON.stringify(task.labels));
      await writeLabels(this.em, changed.map(({ task, labels }) => ({ id: task.id, labels, labelKeys: labelKeysOf(labels) })), new Date());
      // Per category, so each entry reaches exactly the people who see that task.
      const byCategory = new Map<string | null, Array<ReturnType<typeof entryFor>>>();
      for (const { task, labels } of changed) {
        byCategory.set(task.category, [...(byCategory.get(task.category) ?? []), entryFor(task, labels)]);
      }
      for (const [category, entries] of byCategory) {
        await this.activity.record(await this.access.audience({ user: actor.userId, category }), actor, entries);
      }
      return { tasksChanged: changed.length };
    });
  }
}

const entryFor = (task: LabelledTask, labels: string[]) => ({
  entityType: 'task' as const,
  entityId: task.id,
  action: 'update' as const,
  changes: { labels: { from: task.labels, to: labels } },
});

/** A label named in the path, as the body's labels are checked: trimmed, 1 to 50 characters, no comma. */
function checkedLabelName(name: string): string {
  const trimmed = name.trim();
  if (characterCount(trimmed) < 1 || characterCount(trimmed) > MAX_LABEL_LENGTH || !LABEL_PATTERN.test(trimmed)) {
    throw validationProblem([{ field: 'name', message: `name must be a label: 1 to ${MAX_LABEL_LENGTH} characters without a comma` }]);
  }
  return trimmed;
}
