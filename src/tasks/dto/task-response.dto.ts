import { ApiProperty } from '@nestjs/swagger';
import { UserSummary } from '../../users/dto/user-summary.dto.js';
import type { TaskRow } from '../task.entity.js';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from '../task-enums.js';
import { RecurrenceResponse } from './recurrence.dto.js';

const iso = (instant: Date | string) => (typeof instant === 'string' ? instant : instant.toISOString());
const isoOrNull = (instant: Date | string | null) => (instant === null ? null : iso(instant));

export class SubtaskCountsResponse {
  @ApiProperty({ example: 3 })
  total: number;

  @ApiProperty({ example: 1 })
  completed: number;
}

export class TaskResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Finish report' })
  title: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ enum: TASK_STATUSES })
  status: TaskStatus;

  @ApiProperty({ enum: TASK_PRIORITIES })
  priority: TaskPriority;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  dueDate: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Set by the server when the task is completed' })
  completedAt: string | null;

  @ApiProperty({ type: [String], example: ['errands', 'Q3'], description: 'Each once ignoring case, in the order they were given' })
  labels: string[];

  @ApiProperty({
    example: 'a0V',
    description: 'Its place in its list (category, or your tasks in no category): sort=position orders by it, POST /tasks/{id}/move changes it. Compare as bytes (ASCII order)',
  })
  position: string;

  @ApiProperty({ type: RecurrenceResponse, nullable: true, description: 'How it repeats, or null: see recurrence on create' })
  recurrence: RecurrenceResponse | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  categoryId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The task this one is a subtask of, or null' })
  parentId: string | null;

  @ApiProperty({
    type: SubtaskCountsResponse,
    description: "Its live subtasks (direct ones) and how many are completed, counted when read: a subtask's change does not move this task's version or ETag",
  })
  subtasks: SubtaskCountsResponse;

  @ApiProperty({ type: UserSummary, nullable: true, description: 'Who created it; null once that account is deleted' })
  createdBy: UserSummary | null;

  @ApiProperty({ type: UserSummary, nullable: true, description: "Who it is assigned to: the category's owner or a member, or null" })
  assignee: UserSummary | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ description: 'Bumped by every change; the ETag derives from it', example: 1 })
  version: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When it went to the trash; null outside the trash' })
  deletedAt: string | null;

  /** Every property of the record but the owner (implied by the caller) and the sort rank. */
  static from(task: TaskRow): TaskResponse {
    return {
      id: task.id,
      title: task.title,
      description: task.description,
      status: task.status,
      priority: task.priority,
      dueDate: isoOrNull(task.dueDate),
      completedAt: isoOrNull(task.completedAt),
      labels: task.labels,
      position: task.position,
      recurrence: task.recurrence === null ? null : RecurrenceResponse.from(task.recurrence),
      categoryId: task.category,
      parentId: task.parent,
      subtasks: { total: task.subtasks.total, completed: task.subtasks.completed },
      createdBy: task.createdBy,
      assignee: task.assignee,
      createdAt: iso(task.createdAt),
      updatedAt: iso(task.updatedAt),
      version: task.version,
      deletedAt: isoOrNull(task.deletedAt),
    };
  }
}

export class TaskPageResponse {
  @ApiProperty({ type: [TaskResponse] })
  items: TaskResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;

  @ApiProperty({ required: false, description: 'Matching tasks in all pages; only with includeTotal=true' })
  total?: number;
}

class CountByStatus {
  @ApiProperty() pending: number;
  @ApiProperty() in_progress: number;
  @ApiProperty() completed: number;
}

class CountByPriority {
  @ApiProperty() low: number;
  @ApiProperty() medium: number;
  @ApiProperty() high: number;
}

export class TaskStatsResponse {
  @ApiProperty() total: number;
  @ApiProperty({ type: CountByStatus }) byStatus: CountByStatus;
  @ApiProperty({ type: CountByPriority }) byPriority: CountByPriority;
  @ApiProperty({ description: 'Due in the past and not completed' }) overdue: number;
  @ApiProperty({ description: 'Due today in the requested time zone and not completed' }) dueToday: number;
  @ApiProperty({ description: 'Completed in the last 7 × 24 hours' }) completedLast7Days: number;
}
