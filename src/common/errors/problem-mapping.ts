import {
  ConnectionException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotFoundError,
  OptimisticLockError,
  NotNullConstraintViolationException,
  CheckConstraintViolationException,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { HttpException } from '@nestjs/common';
import { ApiProblemException } from './api-problem.exception.js';
import { problem, type Problem } from './problem.js';

export interface MappedProblem {
  problem: Problem;
  headers: Record<string, string>;
  /** Unexpected: log it with its stack, answer 500 without details. */
  unexpected: boolean;
}

const RETRY_AFTER_SECONDS = '1';

interface FastifyLikeError {
  code?: string;
}

const FASTIFY_ERROR_DETAILS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type: send application/json.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is too large.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The body is empty but the content type says JSON.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The body is not valid JSON.',
  FST_ERR_BAD_URL: 'The request URL is not validly percent-encoded.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long.',
};

/**
 * SQLSTATEs of a database that cannot take the statement right now, none of which applied it:
 * class 08 (connection exceptions; PgBouncer sends 08P01 for its own errors such as `server conn
 * crashed?` or `query_wait_timeout` while no primary is reachable), 57P01-57P03 (the server is
 * shutting down, crashed or is starting), 25006 (a write reached a node that is, or has just
 * become, a standby: during a switchover) and 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|25006|53300)$/;

/** By message, not `instanceof Error`: socket errors may come from another realm (Jest's vm, workers). */
function isDatabaseUnavailable(error: unknown): boolean {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  return (
    (typeof code === 'string' && UNAVAILABLE_SQLSTATE.test(code)) ||
    (typeof message === 'string' &&
      /timeout exceeded when trying to connect|Connection terminated|ECONNREFUSED|ECONNRESET|the database system is (starting up|shutting down)|is not queryable/i.test(message))
  );
}

/**
 * The one place errors become HTTP answers, so every route speaks the same error model and no
 * SQL, stack trace or ORM class name ever reaches a client.
 */
export function mapErrorToProblem(error: unknown): MappedProblem {
  const answer = (p: Problem, headers: Record<string, string> = {}, unexpected = false) => ({
    problem: p,
    headers,
    unexpected,
  });

  if (error instanceof ApiProblemException) {
    return answer(error.problem, error.headers);
  }
  if (error instanceof HttpException) {
    // Nest wraps Fastify's own errors (body parsing, size, content type); their code says more.
    const fastifyCode = (error.cause as FastifyLikeError | undefined)?.code;
    if (fastifyCode && FASTIFY_ERROR_DETAILS[fastifyCode]) {
      return answer(problem(error.getStatus(), FASTIFY_ERROR_DETAILS[fastifyCode]));
    }
    const response = error.getResponse();
    const detail =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return answer(problem(error.getStatus(), detail));
  }
  if (error instanceof NotFoundError) {
    return answer(problem(404, 'The resource does not exist.'));
  }
  if (error instanceof OptimisticLockError) {
    return answer(problem(412, 'The resource changed while this request ran; read it again.', { type: 'precondition-failed' }));
  }
  if (error instanceof UniqueConstraintViolationException) {
    return answer(problem(409, 'A resource with the same unique value already exists.', { type: 'conflict' }));
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    return answer(problem(409, 'The change refers to a resource that does not exist.', { type: 'conflict' }));
  }
  if (error instanceof NotNullConstraintViolationException || error instanceof CheckConstraintViolationException) {
    return answer(problem(400, 'The request breaks a data constraint.', { type: 'validation-error' }));
  }
  if (error instanceof LockWaitTimeoutException) {
    return answer(problem(503, 'The database is busy; retry shortly.', { type: 'unavailable' }), {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  if (error instanceof ConnectionException || isDatabaseUnavailable(error)) {
    return answer(problem(503, 'The database is unavailable; retry shortly.', { type: 'unavailable' }), {
      'Retry-After': RETRY_AFTER_SECONDS,
    });
  }
  const framework = error as { code?: unknown; statusCode?: unknown };
  if (typeof framework?.code === 'string' && framework.code.startsWith('FST_') && typeof framework.statusCode === 'number' && framework.statusCode < 500) {
    return answer(problem(framework.statusCode, FASTIFY_ERROR_DETAILS[framework.code] ?? 'The request URL is invalid.'));
  }
  return answer(problem(500, 'An unexpected error occurred.'), {}, true);
}
