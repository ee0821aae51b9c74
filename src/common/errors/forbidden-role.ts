import { ApiProblemException } from './api-problem.exception.js';

/**
 * The caller can see the resource but their role on it is too weak for this action: 403 type
 * `forbidden`, naming the role needed. (No access at all answers 404, as for a missing resource.)
 */
export function forbiddenRole(needed: string, action: string): ApiProblemException {
  return new ApiProblemException(403, `Only a category ${needed} can ${action}.`, { type: 'forbidden' });
}
