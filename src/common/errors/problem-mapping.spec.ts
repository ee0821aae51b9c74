import {
  CheckConstraintViolationException,
  ConnectionException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotFoundError,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { BadRequestException, ForbiddenException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ApiProblemException, validationProblem } from './api-problem.exception.js';
import { mapErrorToProblem } from './problem-mapping.js';

const TYPE = 'urn:tasktracker:problem:';

/** What a driver error carries: SQL, table and constraint names that must never reach a client. */
const INTERNALS = 'insert into "users" ("password_hash") values ($1) - duplicate key value violates unique constraint "users_username_lower_unique"';
const pgError = (extra: Record<string, unknown> = {}) => Object.assign(new Error(INTERNALS), { code: '23505', table: 'users', ...extra });

describe('mapErrorToProblem', () => {
  it('passes an ApiProblemException through with its problem and headers', () => {
    const error = new ApiProblemException(429, 'Too many requests; retry later.', { type: 'rate-limited', headers: { 'Retry-After': '30' } });
    expect(mapErrorToProblem(error)).toEqual({
      problem: { type: `${TYPE}rate-limited`, title: 'Too Many Requests', status: 429, detail: 'Too many requests; retry later.' },
      headers: { 'Retry-After': '30' },
      unexpected: false,
    });
  });

  it('keeps the per-field errors of a validation problem', () => {
    const mapped = mapErrorToProblem(validationProblem([{ field: 'title', message: 'title must be shorter' }, { field: 'title', message: 'title is odd' }, { field: 'dueDate', message: 'dueDate is no date' }]));
    expect(mapped.problem).toEqual({
      type: `${TYPE}validation-error`,
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid request: check title, dueDate.',
      errors: [
        { field: 'title', message: 'title must be shorter' },
        { field: 'title', message: 'title is odd' },
        { field: 'dueDate', message: 'dueDate is no date' },
      ],
    });
  });

  it.each([
    ['a string message', new NotFoundException('Task not found.'), 404, 'Not Found', 'Task not found.'],
    ['a list of messages, joined', new BadRequestException(['limit must be an integer', 'sort is unknown']), 400, 'Bad Request', 'limit must be an integer; sort is unknown'],
    ['a plain string response', new HttpException('Gone for good.', 410), 410, 'Gone', 'Gone for good.'],
    ['an object response without a message', new HttpException({ reason: 'x' }, 403), 403, 'Forbidden', 'Http Exception'],
    ['a default message', new ForbiddenException(), 403, 'Forbidden', 'Forbidden'],
  ])("answers Nest's HttpException with %s as an about:blank problem of its status", (_name, error, status, title, detail) => {
    expect(mapErrorToProblem(error)).toEqual({ problem: { type: 'about:blank', title, status, detail }, headers: {}, unexpected: false });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported content type: send application/json.'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'The request body is too large.'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'The body is empty but the content type says JSON.'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'The body is not valid JSON.'],
    ['FST_ERR_BAD_URL', 400, 'The request URL is not validly percent-encoded.'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'A path parameter is too long.'],
  ])('explains a Fastify error %s wrapped by Nest in its own words, at the status Nest gave', (code, status, detail) => {
    const error = new HttpException(`Fastify says ${code} at /internal/path.ts:12`, status, { cause: Object.assign(new Error('raw'), { code }) });
    expect(mapErrorToProblem(error).problem).toMatchObject({ type: 'about:blank', status, detail });
  });

  it('falls back to the HttpException message for a Fastify code it does not know', () => {
    const error = new PayloadTooLargeException('Too big.', { cause: { code: 'FST_ERR_SOMETHING_NEW' } });
    expect(mapErrorToProblem(error).problem).toMatchObject({ status: 413, detail: 'Too big.' });
  });

  it.each([
    ['FST_ERR_BAD_URL', 400, 'The request URL is not validly percent-encoded.'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'Unsupported content type: send application/json.'],
    ['FST_ERR_SOMETHING_NEW', 400, 'The request URL is invalid.'],
  ])('answers a raw Fastify client error %s with its status, never its message', (code, status, detail) => {
    const error = Object.assign(new Error(`'/%zz' ${INTERNALS}`), { code, statusCode: status });
    expect(mapErrorToProblem(error)).toEqual({ problem: { type: 'about:blank', title: expect.any(String), status, detail }, headers: {}, unexpected: false });
  });

  it('treats a raw Fastify error with a 5xx status, or a non-Fastify code, as unexpected', () => {
    expect(mapErrorToProblem(Object.assign(new Error('x'), { code: 'FST_ERR_HOOK_TIMEOUT', statusCode: 500 })).unexpected).toBe(true);
    expect(mapErrorToProblem(Object.assign(new Error('x'), { code: 'ERR_SOMETHING', statusCode: 400 })).unexpected).toBe(true);
    expect(mapErrorToProblem(Object.assign(new Error('x'), { code: 'FST_ERR_BAD_URL', statusCode: '400' })).unexpected).toBe(true);
  });

  it.each([
    ['NotFoundError', () => NotFoundError.findOneFailed('Task', { id: 'x' }), 404, 'about:blank', 'The resource does not exist.'],
    ['OptimisticLockError', () => OptimisticLockError.lockFailed('Task'), 412, `${TYPE}precondition-failed`, 'The resource changed while this request ran; read it again.'],
    ['UniqueConstraintViolationException', () => new UniqueConstraintViolationException(pgError()), 409, `${TYPE}conflict`, 'A resource with the same unique value already exists.'],
    ['ForeignKeyConstraintViolationException', () => new ForeignKeyConstraintViolationException(pgError({ code: '23503' })), 409, `${TYPE}conflict`, 'The change refers to a resource that does not exist.'],
    ['NotNullConstraintViolationException', () => new NotNullConstraintViolationException(pgError({ code: '23502' })), 400, `${TYPE}validation-error`, 'The request breaks a data constraint.'],
    ['CheckConstraintViolationException', () => new CheckConstraintViolationException(pgError({ code: '23514' })), 400, `${TYPE}validation-error`, 'The request breaks a data constraint.'],
  ])('maps MikroORM %s to %i with no SQL, table or constraint name in the answer', (_name, makeError, status, type, detail) => {
    const mapped = mapErrorToProblem(makeError());
    expect(mapped).toEqual({ problem: { type, title: expect.any(String), status, detail }, headers: {}, unexpected: false });
    expect(JSON.stringify(mapped)).not.toMatch(/users|insert|constraint "|Task/);
  });

  it('answers a lock wait timeout 503 unavailable with Retry-After', () => {
    expect(mapErrorToProblem(new LockWaitTimeoutException(pgError({ code: '55P03' })))).toEqual({
      problem: { type: `${TYPE}unavailable`, title: 'Service Unavailable', status: 503, detail: 'The database is busy; retry shortly.' },
      headers: { 'Retry-After': '1' },
      unexpected: false,
    });
  });

  it.each([
    ['a ConnectionException', new ConnectionException(new Error('connect ECONNREFUSED 10.0.0.5:5432'))],
    ['a pool acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a refused connection', new Error('connect ECONNREFUSED 127.0.0.1:5432')],
    ['a server starting up', new Error('the database system is starting up')],
    ['a server shutting down', new Error('FATAL: The database system is shutting down')],
    ['an error from another realm (no Error prototype)', { message: 'Connection terminated due to connection timeout' }],
    ['a reset connection', new Error('read ECONNRESET')],
    ['a query on a connection that broke', new Error('Client has encountered a connection error and is not queryable')],
    ['PgBouncer losing its server (08P01)', new DriverException(pgError({ code: '08P01', message: 'server conn crashed?' }))],
    ['PgBouncer finding no primary in time (08P01)', new DriverException(pgError({ code: '08P01', message: 'query_wait_timeout' }))],
    ['a server shut down by its failover manager (57P01)', new DriverException(pgError({ code: '57P01', message: 'terminating connection due to administrator command' }))],
    ['a write reaching a node just demoted to standby (25006)', new DriverException(pgError({ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }))],
    ['too many connections (53300)', new DriverException(pgError({ code: '53300', message: 'sorry, too many clients already' }))],
  ])('answers %s 503 unavailable with Retry-After, naming no host', (_name, error) => {
    const mapped = mapErrorToProblem(error);
    expect(mapped).toEqual({
      problem: { type: `${TYPE}unavailable`, title: 'Service Unavailable', status: 503, detail: 'The database is unavailable; retry shortly.' },
      headers: { 'Retry-After': '1' },
      unexpected: false,
    });
  });

  it.each([
    ['an Error', new Error(`secret: ${INTERNALS}`)],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'password_hash')")],
    ['a thrown string', 'password_hash mismatch'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an object with a server status', { statusCode: 502, message: 'upstream' }],
  ])('answers anything else (%s) a bare 500 marked unexpected, so it is logged and nothing leaks', (_name, error) => {
    const mapped = mapErrorToProblem(error);
    expect(mapped).toEqual({
      problem: { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.' },
      headers: {},
      unexpected: true,
    });
  });
});
