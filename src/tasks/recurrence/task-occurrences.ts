import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { validationProblem } from '../../common/errors/api-problem.exception.js';
import { cursorTimestampSql, decodeCursor, encodeCursor, isCursorTimestamp, listFingerprint } from '../../common/keyset-cursor.js';
import { OccurrenceResponse, type OccurrencePageResponse } from '../dto/recurrence.dto.js';
import type { CompletedOccurrence } from './task-recurrence.js';
import { TaskOccurrence } from './task-occurrence.entity.js';

/** A recurring task's history is bounded like every per-user collection: the oldest go first. */
export const MAX_OCCURRENCES_PER_TASK = 1000;

/** The completed occurrences of recurring tasks: written with the task's advance, listed newest first. */
@Injectable()
export class TaskOccurrences {
  constructor(private readonly em: EntityManager) {}

  /** Inside the unit of work that advances the task: the occurrence, and the oldest beyond the bound dropped. */
  async record(taskId: string, occurrence: CompletedOccurrence): Promise<string> {
    const id = (await this.em.insert(TaskOccurrence, { task: taskId, ...occurrence })) as string;
    const beyondBound = this.em
      .createQueryBuilder(TaskOccurrence, 'kept')
      .select('id')
      .where({ task: taskId })
      .orderBy({ completedAt: 'desc', id: 'desc' })
      .offset(MAX_OCCURRENCES_PER_TASK);
    await this.em.createQueryBuilder(TaskOccurrence).delete({ task: taskId, id: { $in: beyondBound } }).execute();
    return id;
  }

  /** One page of a task's occurrences, most recently completed first; the caller checked it may read the task. */
  async page(taskId: string, limit: number, cursor?: string): Promise<OccurrencePageResponse> {
    const fingerprint = listFingerprint({ list: 'occurrences', task: taskId });
    const after = cursor === undefined ? undefined : decodeCursor(cursor, fingerprint);
    if (after !== undefined && (after.value === null || !isCursorTimestamp(after.value))) {
      throw validationProblem([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
    }
    const query = this.em
      .createQueryBuilder(TaskOccurrence, 'occurrence')
      .select(['id', 'dueDate', 'completedAt', raw(`${cursorTimestampSql('occurrence.completed_at')} as cursor_value`)])
      .where({ task: taskId })
      .orderBy({ completedAt: 'desc', id: 'desc' })
      .limit(limit + 1);
    if (after !== undefined) {
      query.andWhere(raw('(occurrence.completed_at, occurrence.id) < (?::timestamptz, ?::uuid)', [after.value, after.id]));
    }
    const rows = (await query.execute('all')) as unknown as Array<{ id: string; dueDate: Date; completedAt: Date; cursor_value: string }>;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({ id: row.id, ...OccurrenceResponse.from(row) })),
      nextCursor: rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursor_value, id: last.id }) : null,
    };
  }
}
