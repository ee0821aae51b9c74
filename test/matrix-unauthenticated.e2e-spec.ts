import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin } from './support/accounts.js';
import {
  createContractChecker,
  fetchDocument,
  fillPath,
  listOperations,
  PROBLEM_MEDIA_TYPE,
  type ContractChecker,
  type Operation,
} from './support/openapi-contract.js';
import { bearer, rowCounts, send, snapshotTables } from './support/openapi-fixtures.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * Every protected operation of the OpenAPI document, called without a valid bearer token,
 * answers 401 problem+json and changes nothing. The list of operations comes from the document
 * itself, so a new route is walked as soon as it is documented.
 */

let app: NestFastifyApplication;
let operations: Operation[];
let checker: ContractChecker;
let revokedToken: string;
let deletedAccountToken: string;

const PUBLIC_OPERATIONS = ['get /health/live', 'get /health/ready', 'post /api/v1/auth/login', 'post /api/v1/auth/register'];

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = '1000000';
  app = await createTestApp();
  await truncateAll(app);
  const document = await fetchDocument(app);
  operations = listOperations(document);
  checker = createContractChecker(document);

  const revoked = await registerAndLogin(app);
  expect((await send(app, 'POST', '/api/v1/auth/logout', { authorization: revoked.auth.authorization })).statusCode).toBe(204);
  revokedToken = revoked.token;

  const deleted = await registerAndLogin(app);
  const removal = await send(app, 'DELETE', '/api/v1/users/me', { authorization: deleted.auth.authorization, payload: { password: deleted.password } });
  expect(removal.statusCode).toBe(204);
  deletedAccountToken = deleted.token;
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

const protectedOperations = () => operations.filter((operation) => !operation.isPublic);

/** The request an operation gets: a random uuid for {id}, an empty JSON object for a body. */
function call(operation: Operation, authorization?: string): Promise<LightMyRequestResponse> {
  return send(app, operation.method, fillPath(operation.path, randomUUID()), {
    authorization,
    payload: operation.bodySchema || operation.method !== 'GET' ? {} : undefined,
  });
}

function expectUnauthenticated(operation: Operation, response: LightMyRequestResponse, credential: string): void {
  const seen = { operation: operation.key, credential, status: response.statusCode, body: response.body };
  expect(seen).toEqual({ ...seen, status: 401 });
  expect({ ...seen, contentType: response.headers['content-type'] }).toEqual({
    ...seen,
    contentType: expect.stringContaining(PROBLEM_MEDIA_TYPE),
  });
  expect({ ...seen, problem: response.json() }).toEqual({
    ...seen,
    problem: expect.objectContaining({ status: 401, type: 'urn:tasktracker:problem:unauthenticated' }),
  });
  expect({ ...seen, wwwAuthenticate: response.headers['www-authenticate'] }).toEqual({ ...seen, wwwAuthenticate: 'Bearer' });
  expect({ ...seen, violations: checker.violations(operation, response) }).toEqual({ ...seen, violations: [] });
}

const CREDENTIALS: Array<[string, () => string | undefined]> = [
  ['no Authorization header', () => undefined],
  ['a malformed token (Bearer x)', () => 'Bearer x'],
  ['an empty bearer', () => 'Bearer '],
  ['the scheme alone', () => 'Bearer'],
  ['a well-formed but unknown token', () => bearer(randomBytes(32).toString('base64url'))],
  ['Basic credentials', () => `Basic ${Buffer.from('user:password').toString('base64')}`],
  ['a token with a trailing junk word', () => `${bearer(randomBytes(32).toString('base64url'))} junk`],
  ['a revoked token (after logout)', () => bearer(revokedToken)],
  ['the token of a deleted account', () => bearer(deletedAccountToken)],
];

describe('unauthenticated matrix over the OpenAPI document', () => {
  it('walks a document of at least 20 operations, of which exactly the 4 public ones need no token', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    expect(operations.filter((operation) => operation.isPublic).map((o) => o.key).sort()).toEqual([...PUBLIC_OPERATIONS].sort());
    expect(protectedOperations().length).toBe(operations.length - PUBLIC_OPERATIONS.length);
  });

  it.each(CREDENTIALS)('every protected operation with %s answers 401 problem+json', async (_label, credential) => {
    let walked = 0;
    for (const operation of protectedOperations()) {
      expectUnauthenticated(operation, await call(operation, credential()), _label);
      walked++;
    }
    expect(walked).toBeGreaterThanOrEqual(19);
  });

  // JSON syntax is Fastify's content-type parser, which runs before any guard; what the guard must
  // precede is validation: an invalid path id or invalid field values still get 401, not 400.
  it('checks the token before validating the path id or the body fields', async () => {
    for (const operation of protectedOperations()) {
      const response = await send(app, operation.method, fillPath(operation.path, 'not-a-uuid'), {
        payload: operation.bodySchema ? { title: 42, name: [], email: false, unknownField: 1 } : undefined,
      });
      expectUnauthenticated(operation, response, 'none, with an invalid id and body');
    }
  });

  it('no request without a valid token writes anything, whatever it sends', async () => {
    const before = await snapshotTables(app);
    for (const operation of protectedOperations()) {
      for (const [label, credential] of CREDENTIALS) {
        const response = await send(app, operation.method, fillPath(operation.path, randomUUID()), {
          authorization: credential(),
          payload: { title: 'intruder', name: 'intruder', password: 'a passphrase for nobody', currentPassword: 'x', newPassword: 'another passphrase' },
        });
        expect([operation.key, label, response.statusCode]).toEqual([operation.key, label, 401]);
      }
    }
    expect(await snapshotTables(app)).toEqual(before);
    const counts = await rowCounts(app);
    expect([counts.tasks, counts.categories]).toEqual([0, 0]);
  });

  it('public operations do not ask for a token (sanity: the walk can tell the two apart)', async () => {
    const live = await send(app, 'GET', '/health/live');
    expect(live.statusCode).toBe(200);
    const register = await send(app, 'POST', '/api/v1/auth/register', { payload: {} });
    expect(register.statusCode).toBe(400);
    const login = await send(app, 'POST', '/api/v1/auth/login', { payload: { login: 'nobody', password: 'wrong password' } });
    expect(login.statusCode).toBe(401);
    expect(login.json().type).toBe('urn:tasktracker:problem:invalid-credentials');
  });
});
