import type { FastifyRequest } from 'fastify';

/**
 * What the global bearer guard (src/auth) attaches to a request once the token checks out. It
 * lives here, not in auth, because every feature reads it (through @CurrentUser()) and users
 * must not depend on auth, which depends on users.
 */
export interface AuthenticatedUser {
  userId: string;
  sessionId: string;
}

export type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };
