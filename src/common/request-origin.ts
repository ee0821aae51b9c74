import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { countedAddress } from './client-address.js';

/** Where a request came from, as the login throttle and the security event log see it. */
export interface RequestOrigin {
  clientAddress: string;
  requestId: string;
}

/**
 * The client address as every per-address count keys on it: `request.ip` (the peer, or the
 * X-Forwarded-For client from a proxy TRUST_PROXY names) counted as countedAddress says
 * (IPv4-mapped as IPv4, IPv6 by its /64).
 */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { clientAddress: countedAddress(request.ip), requestId: String(request.id) };
}

/** The request's origin as a route parameter. */
export const Origin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestOrigin => originOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
