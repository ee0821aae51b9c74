import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Task } from './task.entity.js';

@Module({
  imports: [MikroOrmModule.forFeature([Task])],
})
export class TasksModule {}
