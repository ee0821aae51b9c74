import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { countedAddress } from '../common/client-address.js';
import { consumeOrReject } from './rate-limited.js';
import { REGISTER_LIMITER } from './rate-limiter.provider.js';

/**
 * REGISTER_LIMIT_PER_HOUR attempts per client address, for `POST /auth/register`. A guard runs
 * before the body is validated and long before the password is hashed, so past the limit an
 * attempt costs no bcrypt work; every attempt counts, valid or not.
 */
@Injectable()
export class RegistrationLimitGuard implements CanActivate {
  constructor(@Inject(REGISTER_LIMITER) private readonly limiter: RateLimiterAbstract) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    await consumeOrReject(this.limiter, `register:${countedAddress(request.ip)}`, reply, {
      detail: 'Too many registrations from this address',
      type: 'too-many-registrations',
    });
    return true;
  }
}
