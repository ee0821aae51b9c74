import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RATE_LIMIT_REDIS, rateLimiterProvider, rateLimitRedisProvider } from './rate-limiter.provider.js';

/** Per-user request budget (RATE_LIMIT_PER_MINUTE), shared through Redis when REDIS_URL is set. */
@Module({
  providers: [rateLimitRedisProvider, rateLimiterProvider, { provide: APP_GUARD, useClass: RateLimitGuard }],
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
