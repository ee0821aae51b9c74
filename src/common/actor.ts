import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** The caller of a write, as the activity log records it: who, and which request. */
export interface RequestActor {
  userId: string;
  requestId: string;
}

/** The authenticated caller with the request's id; only on routes behind the bearer guard. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): RequestActor => {
  const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { userId: string } }>();
  if (!request.user) {
    // Only reachable on a route marked @Public() that asks for the actor: a programming error.
    throw new Error('CurrentActor used on a route without authentication');
  }
  return { userId: request.user.userId, requestId: String(request.id) };
});
