import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { CategoriesModule } from '../categories/categories.module.js';
import { LabelsController } from './labels.controller.js';
import { LabelsService } from './labels.service.js';
import { Task } from './task.entity.js';
import { TaskBatchService } from './task-batch.service.js';
import { TaskAccess } from './task-access.js';
import { TaskOwnershipChanges } from './task-ownership-changes.js';
import { TaskPositions } from './task-positions.js';
import { TaskSharingService } from './task-sharing.service.js';
import { TaskWriter } from './task-writer.js';
import { TasksController } from './tasks.controller.js';
import { TasksService } from './tasks.service.js';
import { TrashController } from './trash.controller.js';
import { TrashService } from './trash.service.js';

/** Tasks, their trash and labels; the only module that writes the `tasks` table. */
@Module({
  imports: [MikroOrmModule.forFeature([Task]), CategoriesModule, ActivityModule],
  controllers: [TasksController, TrashController, LabelsController],
  providers: [TasksService, TrashService, LabelsService, TaskWriter, TaskBatchService, TaskAccess, TaskOwnershipChanges, TaskPositions, TaskSharingService],
  exports: [TasksService],
})
export class TasksModule {}
