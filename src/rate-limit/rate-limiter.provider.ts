import type { FactoryProvider } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Environment } from '../config/environment.js';

/** Requests per minute: per user, or per client address for requests without a valid token. */
export const RATE_LIMITER = Symbol('RATE_LIMITER');
/** Registration attempts per client address per hour. */
export const REGISTER_LIMITER = Symbol('REGISTER_LIMITER');
export const RATE_LIMIT_REDIS = Symbol('RATE_LIMIT_REDIS');

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
function limiter(redis: Redis | null, options: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract {
  if (!redis) {
    return new RateLimiterMemory(options);
  }
  return new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
}

export const rateLimiterProvider: FactoryProvider<RateLimiterAbstract> = {
  provide: RATE_LIMITER,
  inject: [Environment, RATE_LIMIT_REDIS],
  useFactory: (environment: Environment, redis: Redis | null) =>
    limiter(redis, { points: environment.RATE_LIMIT_PER_MINUTE, duration: 60, keyPrefix: 'tasktracker-rate' }),
};

export const registerLimiterProvider: FactoryProvider<RateLimiterAbstract> = {
  provide: REGISTER_LIMITER,
  inject: [Environment, RATE_LIMIT_REDIS],
  useFactory: (environment: Environment, redis: Redis | null) =>
    limiter(redis, { points: environment.REGISTER_LIMIT_PER_HOUR, duration: 3600, keyPrefix: 'tasktracker-register' }),
};
