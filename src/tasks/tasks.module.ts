import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { CategoriesModule } from '../categories/categories.module.js';
import { LabelsController } from './labels.controller.js';
import { LabelsService } from './labels.service.js';
import { RecurrenceController } from './recurrence/recurrence.controller.js';
import { RecurrenceService } from './recurrence/recurrence.service.js';
import { TaskOccurrence } from './recurrence/task-occurrence.entity.js';
import { TaskOccurrences } from './recurrence/task-occurrences.js';
import { Task } from './task.entity.js';
import { TaskBatchService } from './task-batch.service.js';
import { TaskAccess } from './task-access.js';
import { TaskHierarchy } from './task-hierarchy.js';
import { TaskOwnershipChanges } from './task-ownership-changes.js';
import { TaskPages } from './task-pages.js';
import { TaskPositions } from './task-positions.js';
import { TaskSharingService } from './task-sharing.service.js';
import { TaskWriter } from './task-writer.js';
import { TasksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';
import { TrashController } from './trash.controller.js';
import { TrashService } from './trash.service.js';

/** Tasks, their trash, labels and occurrences; the only module that writes `tasks` and `task_occurrences`. */
@Module({
  imports: [MikroOrmModule.forFeature([Task, TaskOccurrence]), CategoriesModule, ActivityModule],
  controllers: [TasksController, TrashController, LabelsController, RecurrenceController],
  providers: [
    TasksService,
    TrashService,
    LabelsService,
    RecurrenceService,
    TaskWriter,
    TaskBatchService,
    TaskAccess,
    TaskHierarchy,
    TaskOwnershipChanges,
    TaskPages,
    TaskPositions,
    TaskOccurrences,
    TaskSharingService,
  ],
  exports: [TasksService],
})
export class TasksModule {}
