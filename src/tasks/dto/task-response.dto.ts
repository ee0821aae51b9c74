import { ApiProperty } from '@nestjs/swagger';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from '../task-enums.js';

/** A task row as every task query selects it (TASK_COLUMNS): snake_case, timestamps already ISO 8601 UTC text. */
export interface TaskRow {
  id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  due_date: string | null;
  completed_at: string | null;
  category_id: string | null;
  created_at: string;
  updated_at: string;
  version: number;
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

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  categoryId: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ description: 'Bumped by every change; the ETag derives from it', example: 1 })
  version: number;

  static fromRow(row: TaskRow): TaskResponse {
    return {
      id: row.id,
      title: row.title,
      description: row.description,
      status: row.status,
      priority: row.priority,
      dueDate: row.due_date,
      completedAt: row.completed_at,
      categoryId: row.category_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      version: row.version,
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
