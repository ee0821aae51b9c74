import type { UpdateTaskDto } from './dto/update-task.dto.js';
import { settledRecurrence } from './recurrence/task-recurrence.js';
import type { TaskRow, TaskValues } from './task.entity.js';

/**
 * The entity values a create or update body sets; fields left out stay undefined (untouched).
 * Body fields named like their entity property pass through as they are (the DTO's validators
 * have shaped them); only those the API names or types differently are converted here.
 */
export function taskValuesFrom(input: UpdateTaskDto, current?: Pick<TaskRow, 'dueDate' | 'recurrence'>): TaskValues {
  const { dueDate, categoryId, assigneeId, parentId, recurrence, ...sameName } = input;
  const newDueDate = dueDate === undefined ? undefined : dueDate === null ? null : new Date(dueDate);
  // Checked against the due date the write leaves, even when only the due date changes.
  const settled = settledRecurrence(recurrence, newDueDate === undefined ? (current?.dueDate ?? null) : newDueDate, current?.recurrence ?? null);
  return {
    ...sameName,
    dueDate: newDueDate,
    category: categoryId,
    assignee: assigneeId,
    parent: parentId,
    recurrence: recurrence === undefined ? undefined : settled,
  };
}

/** JSON with object keys sorted: the same value whatever order it was built or stored (jsonb) in. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).toSorted(([a], [b]) => a.localeCompare(b)))
      : item,
  );

/**
 * Timestamps compare as the ISO text reads answer them in, people (summaries) by id, lists by
 * content (an empty one as nothing, so a creation records no empty labels), other objects (a
 * recurrence) by content; the rest as they are.
 */
const comparable = (value: unknown) =>
  value instanceof Date
    ? value.toISOString()
    : Array.isArray(value)
      ? value.length === 0 ? null : JSON.stringify(value)
      : value !== null && typeof value === 'object'
        ? 'id' in value ? value.id : canonicalJson(value)
        : value;

/**
 * Only what differs from the current task: a PATCH that changes nothing writes nothing, and the
 * version (so the ETag) stays.
 */
export function changedValues(current: TaskRow & { user?: string }, values: TaskValues & { user?: string }): TaskValues & { user?: string } {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([name, value]) => value !== undefined && comparable(value) !== comparable(current[name as keyof (TaskValues & { user?: string })]),
    ),
  );
}

/**
 * The one rule for completedAt, which the server owns: set when a task becomes completed, kept
 * while it stays completed, cleared when it leaves that state. `current` is undefined for a new task.
 */
export function completedAtAfter(
  current: Pick<TaskRow, 'status' | 'completedAt'> | undefined,
  newStatus: TaskRow['status'],
  now: Date,
): Date | null {
  if (newStatus !== 'completed') {
    return null;
  }
  return current?.status === 'completed' && current.completedAt !== null ? new Date(current.completedAt) : now;
}

/**
 * Fields every write moves on its own (the creator is the entry's actor), and the subtask counts
 * (the subtasks' own entries say what changed); the activity log records what the caller changed.
 */
const UNTRACKED = new Set(['id', 'version', 'createdAt', 'updatedAt', 'createdBy', 'subtasks']);

/**
 * What a change did, field by field as the API names them: `before` null for a creation. A field
 * added to the response is tracked without another line here.
 */
export function fieldChanges(before: object | null, after: object): Record<string, { from: unknown; to: unknown }> {
  const previous = (before ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(after)
      .filter(([field, value]) => !UNTRACKED.has(field) && comparable(previous[field] ?? null) !== comparable(value ?? null))
      .map(([field, value]) => [field, { from: previous[field] ?? null, to: value ?? null }]),
  );
}
