import type { FastifyRequest } from 'fastify';

/** What the bearer guard attaches to a request once the token checks out. */
export interface AuthenticatedUser {
  userId: string;
  sessionId: string;
}

export type AuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };
