import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthenticatedRequest } from '../common/authenticated-user.js';
import { countedAddress } from '../common/client-address.js';
import { consumeOrReject } from './rate-limited.js';
import { RATE_LIMITER } from './rate-limiter.provider.js';
import { SKIP_RATE_LIMIT } from './skip-rate-limit.decorator.js';

/**
 * One request budget per user across every route (per client address before login), answered
 * with the IETF `RateLimit-*` headers and, past it, 429 with Retry-After. Registered after the
 * bearer guard, so the caller is known when it runs; requests the bearer guard turns away were
 * counted against their address there (AddressBudget).
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
    const key = request.user ? `user:${request.user.userId}` : `client:${countedAddress(request.ip)}`;
    await consumeOrReject(this.limiter, key, reply);
    return true;
  }
}
