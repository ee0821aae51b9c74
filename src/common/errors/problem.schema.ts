import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

class FieldErrorSchema {
  @ApiProperty({ example: 'title' })
  field: string;

  @ApiProperty({ example: 'title must be shorter than or equal to 200 characters' })
  message: string;
}

/** OpenAPI schema of the RFC 9457 body every error answers with. */
export class ProblemSchema {
  @ApiProperty({ example: 'urn:tasktracker:problem:validation-error', description: '`about:blank` or a TaskTracker problem type' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'Invalid request: check title.' })
  detail: string;

  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'Present on validation errors: one entry per invalid field' })
  errors?: FieldErrorSchema[];
}

const WHEN: Record<number, string> = {
  400: 'Invalid input; `errors` names each field',
  401: 'Missing, invalid, expired or revoked bearer token',
  403: 'Per-user quota reached (type `quota-exceeded`), or a role on a shared category too weak for this action (type `forbidden`, naming the role needed); nothing was written',
  404: 'No such resource among those the caller can see (their own, and what is shared with them)',
  409: 'Conflicts with existing data, or a request with the same Idempotency-Key is still running (type `idempotency-key-in-flight`, see Retry-After)',
  410: 'The cursor is older than the retention (type `cursor-expired`): list again and take a fresh cursor',
  412: 'If-Match does not match the current ETag',
  422: 'The Idempotency-Key was used for a different request (type `idempotency-key-mismatch`)',
  413: 'Body larger than 100 KiB',
  414: 'A path parameter is longer than 100 characters',
  415: 'Content type is not application/json',
  429: 'Too many requests; see Retry-After',
  503: 'Database unavailable, or too many password checks in progress (`server-busy`); see Retry-After',
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } };

/** The OpenAPI response object of one problem+json answer; 429 and 503 carry Retry-After. */
export function problemResponse(status: number) {
  return {
    description: WHEN[status] ?? STATUS_CODES[status] ?? 'Error',
    ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemSchema' } } },
  };
}

/**
 * Documents the problem+json answers a route itself can give (404, 409, 412...). The ones every
 * route shares (401, 400, 413-415, 429, 503) are added by src/openapi.ts.
 */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));
}
