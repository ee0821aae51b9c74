import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { LoginThrottle } from './login-throttle.entity.js';
import { LoginThrottleService } from './login-throttle.service.js';

/**
 * Failed-password counting on its own, so both login (AuthModule) and the routes that confirm
 * a password again (UsersModule) share one budget per account without depending on each other.
 */
@Module({
  imports: [MikroOrmModule.forFeature([LoginThrottle])],
  providers: [LoginThrottleService],
  exports: [LoginThrottleService],
})
export class LoginThrottleModule {}
