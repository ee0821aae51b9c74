import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { LocalStrategy } from './local.strategy.js';
import { Session } from './session.entity.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/**
 * Login, sessions and the global bearer guard: deny by default, @Public() opts out. Depends on
 * UsersModule (accounts, passwords and their throttle), never the reverse: it ends sessions when
 * users publishes PasswordChanged or AccountDeleting (SessionsService).
 */
@Module({
  imports: [MikroOrmModule.forFeature([Session]), PassportModule, UsersModule, RateLimitModule],
  controllers: [AuthController, SessionsController],
  providers: [
    AuthService,
    SessionsService,
    LocalStrategy,
    { provide: APP_GUARD, useClass: BearerAuthGuard },
  ],
  exports: [SessionsService],
})
export class AuthModule {}
