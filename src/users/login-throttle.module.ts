import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { LoginThrottle } from './login-throttle.entity.js';
import { LoginThrottleService } from './login-throttle.service.js';

/**
 * Failed-password counting with its own table, used by UsersService for every password check
 * (login and the routes that confirm a password again), so they share one budget per account.
 */
@Module({
  imports: [MikroOrmModule.forFeature([LoginThrottle])],
  providers: [LoginThrottleService],
  exports: [LoginThrottleService],
})
export class LoginThrottleModule {}
