import { Module } from '@nestjs/common';
import { ActivityModule } from '../activity/activity.module.js';
import { CategoriesModule } from '../categories/categories.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { ChangesController } from './changes.controller.js';
import { ChangesService } from './changes.service.js';
import { StreamWaits } from './stream-waits.js';

/** The change feed: reads the activity stream and the current state of what it names. */
@Module({
  imports: [ActivityModule, TasksModule, CategoriesModule],
  controllers: [ChangesController],
  providers: [ChangesService, StreamWaits],
  exports: [ChangesService],
})
export class ChangesModule {}
