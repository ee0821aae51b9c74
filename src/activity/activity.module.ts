import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { ActivityStream } from './activity-stream.entity.js';
import { ActivityController } from './activity.controller.js';
import { Activity } from './activity.entity.js';
import { ActivityService } from './activity.service.js';

/** The activity log: tasks and categories record each change through ActivityService.record. */
@Module({
  imports: [MikroOrmModule.forFeature([Activity, ActivityStream])],
  controllers: [ActivityController],
  providers: [ActivityService],
  exports: [ActivityService],
})
export class ActivityModule {}
