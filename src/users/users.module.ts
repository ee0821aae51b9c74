import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { LoginThrottleModule } from './login-throttle.module.js';
import { PasswordHasher } from './password-hasher.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/**
 * Accounts, their passwords and the throttle on proving one (login included: AuthService asks
 * UsersService.checkLogin). Imports no other feature: auth depends on users and learns of
 * password changes and deletions through the events in account-events.ts.
 */
@Module({
  imports: [MikroOrmModule.forFeature([User]), LoginThrottleModule],
  controllers: [UsersController],
  providers: [UsersService, PasswordHasher],
  exports: [UsersService],
})
export class UsersModule {}
