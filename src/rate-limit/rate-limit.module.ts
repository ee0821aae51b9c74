import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { AddressBudget } from './address-budget.service.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import {
  RATE_LIMIT_REDIS,
  REGISTER_LIMITER,
  rateLimiterProvider,
  rateLimitRedisProvider,
  registerLimiterProvider,
} from './rate-limiter.provider.js';
import { RegistrationLimitGuard } from './registration-limit.guard.js';

/**
 * Per-user request budget (RATE_LIMIT_PER_MINUTE; per address for requests without a valid
 * token) and the registration limit (REGISTER_LIMIT_PER_HOUR), shared through Redis when
 * REDIS_URL is set. AddressBudget is for the bearer guard; RegistrationLimitGuard for register.
 */
@Module({
  providers: [
    rateLimitRedisProvider,
    rateLimiterProvider,
    registerLimiterProvider,
    AddressBudget,
    RegistrationLimitGuard,
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [AddressBudget, RegistrationLimitGuard, REGISTER_LIMITER],
})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Inject(RATE_LIMIT_REDIS) private readonly redis: Redis | null) {}

  /** QUIT needs a live connection; one that never came up (Redis down) is just dropped. */
  async onApplicationShutdown(): Promise<void> {
    if (this.redis?.status === 'ready') {
      await this.redis.quit();
    } else {
      this.redis?.disconnect();
    }
  }
}
