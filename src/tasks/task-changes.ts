import type { TaskResponse } from './dto/task-response.dto.js';
import type { UpdateTaskDto } from './dto/update-task.dto.js';
import type { CompletedAtChange, TaskColumnValues } from './task-sql.js';

/** The columns a create or update body sets; fields left out stay undefined (untouched). */
export function columnValuesFrom(input: UpdateTaskDto): TaskColumnValues {
  return {
    title: input.title,
    description: input.description,
    status: input.status,
    priority: input.priority,
    due_date: input.dueDate === undefined ? undefined : input.dueDate === null ? null : new Date(input.dueDate),
    category_id: input.categoryId,
  };
}

const CURRENT_VALUE: Record<keyof TaskColumnValues, (task: TaskResponse) => unknown> = {
  title: (task) => task.title,
  description: (task) => task.description,
  status: (task) => task.status,
  priority: (task) => task.priority,
  due_date: (task) => task.dueDate,
  category_id: (task) => task.categoryId,
};

const comparable = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

/**
 * Only what differs from the current task: a PATCH that changes nothing writes nothing, and the
 * version (so the ETag) stays.
 */
export function changedColumns(current: TaskResponse, values: TaskColumnValues): TaskColumnValues {
  return Object.fromEntries(
    Object.entries(values).filter(
      ([name, value]) =>
        value !== undefined && comparable(value) !== CURRENT_VALUE[name as keyof TaskColumnValues](current),
    ),
  );
}

/**
 * completed_at is the server's: set when a task becomes completed, cleared when it leaves that
 * state. A new task has no completedAt yet.
 */
export function completedAtChange(
  currentCompletedAt: string | null,
  newStatus: TaskColumnValues['status'],
): CompletedAtChange {
  if (newStatus === undefined) {
    return 'keep';
  }
  if (newStatus === 'completed') {
    return currentCompletedAt === null ? 'set' : 'keep';
  }
  return currentCompletedAt === null ? 'keep' : 'clear';
}
