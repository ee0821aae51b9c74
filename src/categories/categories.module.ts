import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { Category } from './category.entity.js';

@Module({
  imports: [MikroOrmModule.forFeature([Category])],
})
export class CategoriesModule {}
