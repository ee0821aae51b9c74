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
  404: 'No such resource among the caller\'s own',
  409: 'Conflicts with existing data',
  412: 'If-Match does not match the current ETag',
  413: 'Body larger than 100 KiB',
  415: 'Content type is not application/json',
  429: 'Too many requests; see Retry-After',
  503: 'Database unavailable, or too many password checks in progress (`server-busy`); see Retry-After',
};

/** Documents the problem+json answers a route can give. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: WHEN[status] ?? STATUS_CODES[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemSchema' } } },
      }),
    ),
  );
}
