import { ValidateBy } from 'class-validator';
import type { FieldError } from './errors/problem.js';

/** Keys a plain object inherits: class-transformer skips them, so they would vanish unreported. */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

export function findUnsafe(value: unknown, path = ''): FieldError | undefined {
  if (typeof value === 'string') {
    // PostgreSQL text cannot hold NUL: refuse it here with the field named, not as a driver error.
    return value.includes('\u0000') ? { field: path, message: `${path} must not contain NUL characters` } : undefined;
  }
  if (value === null || typeof value !== 'object') {
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (INHERITED_KEYS.has(key)) {
      return { field: childPath, message: `property ${key} should not exist` };
    }
    const found = findUnsafe(child, childPath);
    if (found) {
      return found;
    }
  }
  return undefined;
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
