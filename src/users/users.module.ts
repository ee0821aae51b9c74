import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { User } from './user.entity.js';

@Module({
  imports: [MikroOrmModule.forFeature([User])],
})
export class UsersModule {}
