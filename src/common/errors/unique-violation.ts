import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ApiProblemException } from './api-problem.exception.js';

/** What a unique index protects: the field it is about and the sentence to answer with. */
export interface UniqueConflict {
  field: string;
  detail: string;
}

/**
 * Turns a unique violation of a known index into a 409 naming the field; anything else is
 * rethrown for the global mapping. The database decides races, so this is the only check.
 */
export function conflictFromUniqueViolation(error: unknown, conflicts: Record<string, UniqueConflict>): unknown {
  if (!(error instanceof UniqueConstraintViolationException)) {
    return error;
  }
  const constraint = (error as { constraint?: string }).constraint ?? '';
  const conflict = conflicts[constraint];
  if (!conflict) {
    return error;
  }
  return new ApiProblemException(409, conflict.detail, {
    type: 'conflict',
    errors: [{ field: conflict.field, message: `${conflict.field} is already taken` }],
  });
}
