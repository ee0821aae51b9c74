import { ValidateBy } from 'class-validator';
import type { FieldError } from './errors/problem.js';

/** Keys a plain object inherits: class-transformer skips them, so they would vanish unreported. */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The name a field error gives the whole body (a JSON array or string at the top, say). */
export const BODY_FIELD = 'body';

/** Enough to name what is wrong without answering with a second copy of a hostile body. */
const MAX_REPORTED = 10;

/**
 * What PostgreSQL would refuse or change without naming the field: NUL (text cannot hold it) and
 * a lone UTF-16 surrogate (a `\ud800` JSON escape), which the driver would store as U+FFFD.
 */
function stringProblem(value: string): string | undefined {
  if (value.includes('\u0000')) {
    return 'must not contain NUL characters';
  }
  if (!value.isWellFormed()) {
    return 'must be well-formed Unicode (it contains a lone surrogate)';
  }
  return undefined;
}

/**
 * Every string (key or value) of a parsed JSON body that cannot be stored as sent, and every
 * Object.prototype key name (`constructor`, `valueOf`...), by path (`title`, `items.0.name`).
 * A walk with its own stack, not recursion: its cost is bounded by the body, never by the call stack.
 */
export function findUnsafe(root: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (pending.length > 0 && found.length < MAX_REPORTED) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const problem = stringProblem(value);
      if (problem) {
        const field = path || BODY_FIELD;
        found.push({ field, message: `${field} ${problem}` });
      }
      continue;
    }
    if (value === null || typeof value !== 'object') {
      continue;
    }
    // Reversed onto the stack, so fields are reported in the order they were sent.
    const children: Array<{ value: unknown; path: string }> = [];
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      const keyProblem = INHERITED_KEYS.has(key) ? 'should not exist' : stringProblem(key);
      if (keyProblem) {
        found.push({ field: childPath, message: `property ${key} ${keyProblem}` });
        continue;
      }
      children.push({ value: child, path: childPath });
    }
    for (let i = children.length - 1; i >= 0; i--) {
      pending.push(children[i]);
    }
  }
  return found.slice(0, MAX_REPORTED);
}

/** For query parameters that reach SQL: PostgreSQL text cannot hold NUL. */
export const NoNulCharacters = () =>
  ValidateBy({
    name: 'noNulCharacters',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
      defaultMessage: (args) => `${args?.property} must not contain NUL characters`,
    },
  });
