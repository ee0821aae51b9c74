import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { ActivityModule } from './activity/activity.module.js';
import { ChangesModule } from './changes/changes.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CategoriesModule } from './categories/categories.module.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { createValidationPipe } from './common/validation.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { UsersModule } from './users/users.module.js';

export interface AppModuleOptions {
  /** The root logger Fastify logs requests with (createApp builds it). */
  rootLogger: Logger;
}

/**
 * Global pipe, filter and guards live here so tests built from AppModule run what production
 * runs. Guard order matters: AuthModule (bearer) before RateLimitModule (per-user budget).
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule,
        LoggingModule.forRoot(options.rootLogger),
        DatabaseModule,
        ScheduleModule.forRoot(),
        HealthModule,
        AuthModule,
        RateLimitModule,
        UsersModule,
        ActivityModule,
        CategoriesModule,
        TasksModule,
        ChangesModule,
        IdempotencyModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
