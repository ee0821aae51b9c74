import type { FastifyReply } from 'fastify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';

/** The IETF `RateLimit-*` headers for one counter's state. */
export function setRateLimitHeaders(reply: FastifyReply, limiter: RateLimiterAbstract, state: RateLimiterRes): void {
  void reply.headers({
    'RateLimit-Limit': String(limiter.points),
    'RateLimit-Remaining': String(Math.max(0, state.remainingPoints)),
    'RateLimit-Reset': String(Math.max(1, Math.ceil(state.msBeforeNext / 1000))),
  });
}

/** 429 problem+json with Retry-After for a spent counter. */
export function rateLimited(state: RateLimiterRes, detail = 'Rate limit reached', type = 'rate-limited'): ApiProblemException {
  const retryAfter = String(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
  return new ApiProblemException(429, `${detail}; retry in ${retryAfter} seconds.`, {
    type,
    headers: { 'Retry-After': retryAfter },
  });
}

/**
 * Spends one point of `key`: the counter's state, or a 429 (headers set) once it is spent.
 * Anything but the library's rejection (a Redis error the insurance limiter could not absorb)
 * propagates as is.
 */
export async function consumeOrReject(
  limiter: RateLimiterAbstract,
  key: string,
  reply: FastifyReply,
  problem?: { detail: string; type: string },
): Promise<RateLimiterRes> {
  try {
    const state = await limiter.consume(key);
    setRateLimitHeaders(reply, limiter, state);
    return state;
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) {
      throw rejection;
    }
    setRateLimitHeaders(reply, limiter, rejection);
    throw rateLimited(rejection, problem?.detail, problem?.type);
  }
}
