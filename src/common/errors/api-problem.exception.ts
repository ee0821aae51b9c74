import { HttpException } from '@nestjs/common';
import { problem, type FieldError, type Problem } from './problem.js';

/**
 * An HTTP error carrying its full problem body, for answers richer than Nest's built-in
 * exceptions: per-field validation errors, a problem type, or headers such as Retry-After.
 */
export class ApiProblemException extends HttpException {
  readonly problem: Problem;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail, status);
    this.problem = problem(status, detail, options);
    this.headers = options.headers ?? {};
  }

  readonly headers: Record<string, string>;
}

/** 400 with one entry per invalid field. */
export function validationProblem(errors: FieldError[]): ApiProblemException {
  const fields = [...new Set(errors.map((error) => error.field))].join(', ');
  return new ApiProblemException(400, `Invalid request: check ${fields}.`, {
    type: 'validation-error',
    errors,
  });
}
