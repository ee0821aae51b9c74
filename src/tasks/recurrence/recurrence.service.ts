import { Injectable, NotFoundException } from '@nestjs/common';
import type { OccurrencePageResponse, UpcomingResponse } from '../dto/recurrence.dto.js';
import { TaskRepository } from '../task.repository.js';
import { TaskOccurrences } from './task-occurrences.js';
import { upcomingDueDates } from './task-recurrence.js';

/** Reads of a task's occurrences: only for a live task the caller may read (404 otherwise, like GET /tasks/{id}). */
@Injectable()
export class RecurrenceService {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly occurrenceLog: TaskOccurrences,
  ) {}

  async occurrences(userId: string, taskId: string, limit: number, cursor?: string): Promise<OccurrencePageResponse> {
    await this.readable(userId, taskId);
    return this.occurrenceLog.page(taskId, limit, cursor);
  }

  async upcoming(userId: string, taskId: string, count: number): Promise<UpcomingResponse> {
    const task = await this.readable(userId, taskId);
    return { items: upcomingDueDates(task, count).map((dueDate) => ({ dueDate: dueDate.toISOString() })) };
  }

  private async readable(userId: string, taskId: string) {
    const task = await this.tasks.findLive(userId, taskId);
    if (!task) {
      throw new NotFoundException('No such task.');
    }
    return task;
  }
}
