import { STATUS_CODES } from 'node:http';

/** One invalid input: the field path (`title`, `items.0.name`) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem details body, the shape of every 4xx and 5xx answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const PROBLEM_TYPE_BASE = 'urn:tasktracker:problem:';

export function problem(status: number, detail: string, options: { type?: string; errors?: FieldError[] } = {}): Problem {
  return {
    type: options.type ? `${PROBLEM_TYPE_BASE}${options.type}` : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(options.errors ? { errors: options.errors } : {}),
  };
}
