import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, AuthenticatedUser } from './authenticated-user.js';

/** The caller of a protected route, as the global bearer guard resolved it. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser => {
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (!user) {
      // Only reachable on a route marked @Public() that asks for the user: a programming error.
      throw new Error('CurrentUser used on a route without authentication');
    }
    return user;
  },
);
