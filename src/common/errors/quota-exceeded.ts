import { ApiProblemException } from './api-problem.exception.js';

/**
 * The one answer to a create past a per-user quota (MAX_*_PER_USER): 403, since retrying cannot
 * help until the caller deletes something, with a type clients can branch on and a detail naming
 * the limit. The caller must have written nothing.
 */
export function quotaExceeded(limit: number, collection: string): ApiProblemException {
  return new ApiProblemException(
    403,
    `Quota exceeded: a user can have at most ${limit.toLocaleString('en-US')} ${collection}. Delete some first.`,
    { type: 'quota-exceeded' },
  );
}
