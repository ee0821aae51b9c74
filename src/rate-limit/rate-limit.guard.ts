import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthenticatedRequest } from '../auth/authenticated-user.js';
import { ApiProblemException } from '../common/errors/api-problem.exception.js';
import { RATE_LIMITER } from './rate-limiter.provider.js';
import { SKIP_RATE_LIMIT } from './skip-rate-limit.decorator.js';

/**
 * One request budget per user across every route (per client address before login), answered
 * with the IETF `RateLimit-*` headers and, past it, 429 with Retry-After. Registered after the
 * bearer guard, so the caller is known when it runs.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiterAbstract,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const key = request.user ? `user:${request.user.userId}` : `client:${request.ip}`;
    try {
      this.setHeaders(reply, await this.limiter.consume(key));
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        throw rejection;
      }
      this.setHeaders(reply, rejection);
      const retryAfter = String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw new ApiProblemException(429, `Rate limit reached; retry in ${retryAfter} seconds.`, {
        type: 'rate-limited',
        headers: { 'Retry-After': retryAfter },
      });
    }
  }

  private setHeaders(reply: FastifyReply, state: RateLimiterRes): void {
    void reply.headers({
      'RateLimit-Limit': String(this.limiter.points),
      'RateLimit-Remaining': String(Math.max(0, state.remainingPoints)),
      'RateLimit-Reset': String(Math.max(1, Math.ceil(state.msBeforeNext / 1000))),
    });
  }
}
