import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Where a request came from, as the login throttle and the security event log see it. */
export interface RequestOrigin {
  clientAddress: string;
  requestId: string;
}

/**
 * The one place that reads the client address: `request.ip` is the peer address, or the
 * X-Forwarded-For client when TRUST_PROXY is set. Normalising it (IPv6 /64, proxies) goes here.
 */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { clientAddress: request.ip, requestId: String(request.id) };
}

/** The request's origin as a route parameter. */
export const Origin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestOrigin => originOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
