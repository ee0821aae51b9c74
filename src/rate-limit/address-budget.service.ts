import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { countedAddress } from '../common/client-address.js';
import { consumeOrReject, rateLimited, setRateLimitHeaders } from './rate-limited.js';
import { RATE_LIMITER } from './rate-limiter.provider.js';

const addressKey = (request: FastifyRequest) => `client:${countedAddress(request.ip)}`;

/**
 * The per-address side of RATE_LIMIT_PER_MINUTE, for the bearer guard: every request that fails
 * authentication spends one point of its client address's budget (the same counter that public
 * routes spend), and once that budget is spent, requests carrying a token answer 429 before the
 * session lookup, so forged tokens cost no database query.
 */
@Injectable()
export class AddressBudget {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiterAbstract) {}

  /** 429 when the address has nothing left; spends nothing. */
  async assertAvailable(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = await this.limiter.get(addressKey(request));
    if (state && state.remainingPoints <= 0) {
      setRateLimitHeaders(reply, this.limiter, state);
      throw rateLimited(state);
    }
  }

  /** One failed authentication: spends a point, or answers 429 when none is left. */
  async spendFailure(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await consumeOrReject(this.limiter, addressKey(request), reply);
  }
}
