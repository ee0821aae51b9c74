import { ValidateBy } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, PROBLEM_CONTENT_TYPE, type FieldError } from './errors/problem.js';

/** Keys a plain object inherits: class-transformer skips them, so they would vanish unreported. */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

function findUnsafe(value: unknown, path: string): FieldError | undefined {
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

/**
 * A Fastify preHandler, before Nest's pipes: NUL characters and Object.prototype key names in a
 * JSON body answer 400 naming the field, like any other invalid input.
 */
export async function rejectUnsafeInput(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Query strings are checked by the DTOs of the routes that read them (NoNulCharacters).
  const unsafe = findUnsafe(request.body, '');
  if (unsafe) {
    const body = problem(400, `Invalid request: check ${unsafe.field}.`, { type: 'validation-error', errors: [unsafe] });
    await reply.status(400).type(PROBLEM_CONTENT_TYPE).send(body);
  }
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
