import type { FactoryProvider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Environment } from '../config/environment.js';

export const RATE_LIMITER = Symbol('RATE_LIMITER');
export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

const WINDOW_SECONDS = 60;

/** The Redis connection for shared counters, or null when REDIS_URL is unset. */
export const rateLimitRedisProvider: FactoryProvider<Redis | null> = {
  provide: RATE_LIMIT_REDIS,
  inject: [Environment],
  useFactory: (environment: Environment) =>
    environment.REDIS_URL ? new Redis(environment.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) : null,
};

/**
 * Counters in process memory for one instance; in Redis, shared by all, when REDIS_URL is set.
 * While Redis is unreachable each instance counts in its own memory (the library's insurance
 * limiter): requests keep being served and limited, never failed for want of a counter.
 */
export const rateLimiterProvider: FactoryProvider<RateLimiterAbstract> = {
  provide: RATE_LIMITER,
  inject: [Environment, RATE_LIMIT_REDIS],
  useFactory: (environment: Environment, redis: Redis | null) => {
    const options = { points: environment.RATE_LIMIT_PER_MINUTE, duration: WINDOW_SECONDS, keyPrefix: 'tasktracker-rate' };
    if (!redis) {
      return new RateLimiterMemory(options);
    }
    return new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
  },
};
