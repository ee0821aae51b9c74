import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { login, newAccountData, registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiClient, createCategory, createTask, expectProblem, sql, type Call, type Method } from './support/tasks-fixtures.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * Which bodies the API reads (issue 10, section 11): `application/json` only, so a form post,
 * which any web page can send cross-origin without a preflight, is a 415 that writes nothing; a
 * route that needs a body refuses a missing or non-object one; a route that reads no body
 * ignores a stray `content-type: application/json` on an empty one.
 */

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let owner: TestAccount;
let taskId: string;
let categoryId: string;

/** Every table a write could touch, as text: equal before and after means nothing was written. */
async function dataSnapshot(): Promise<string[]> {
  const rows = await sql<{ row: string }>(
    app,
    `select 'u' || u::text as row from users u union all select 'c' || c::text from categories c
     union all select 't' || t::text from tasks t union all select 's' || s.id::text from sessions s order by row`,
  );
  return rows.map((r) => r.row);
}

interface BodyRoute {
  method: Method;
  path: () => string;
  authenticated: boolean;
  /** A body the route would accept as JSON. */
  body: () => Record<string, string>;
}

const BODY_ROUTES: Record<string, BodyRoute> = {
  'POST /auth/register': { method: 'POST', path: () => '/auth/register', authenticated: false, body: () => newAccountData() },
  'POST /auth/login': { method: 'POST', path: () => '/auth/login', authenticated: false, body: () => ({ login: owner.username, password: owner.password }) },
  'PATCH /users/me': { method: 'PATCH', path: () => '/users/me', authenticated: true, body: () => ({ name: 'Changed By Form' }) },
  'PUT /users/me/password': { method: 'PUT', path: () => '/users/me/password', authenticated: true, body: () => ({ currentPassword: owner.password, newPassword: 'a brand new passphrase 42' }) },
  'DELETE /users/me': { method: 'DELETE', path: () => '/users/me', authenticated: true, body: () => ({ password: owner.password }) },
  'POST /tasks': { method: 'POST', path: () => '/tasks', authenticated: true, body: () => ({ title: 'Posted by a form' }) },
  'PATCH /tasks/{id}': { method: 'PATCH', path: () => `/tasks/${taskId}`, authenticated: true, body: () => ({ title: 'Changed by a form' }) },
  'POST /categories': { method: 'POST', path: () => '/categories', authenticated: true, body: () => ({ name: 'Form' }) },
  'PATCH /categories/{id}': { method: 'PATCH', path: () => `/categories/${categoryId}`, authenticated: true, body: () => ({ name: 'Changed by a form' }) },
};

const send = (route: BodyRoute, payload: string | undefined, headers: Record<string, string>) =>
  call(route.authenticated ? owner : undefined, route.method, route.path(), { ...(payload === undefined ? {} : { payload }), headers });

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  owner = await registerAndLogin(app);
  taskId = (await createTask(call, owner, { title: 'Original' })).id;
  categoryId = (await createCategory(call, owner, { name: 'Original' })).id;
});

afterAll(async () => {
  await app.close();
});

// Emptied by each check, so a 5xx is blamed on the test that saw it only.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

describe('only application/json is read', () => {
  it.each(Object.keys(BODY_ROUTES))('%s: a form post of a valid body answers 415 and writes nothing', async (name) => {
    const route = BODY_ROUTES[name];
    const before = await dataSnapshot();
    const form = new URLSearchParams(route.body()).toString();
    expectProblem(await send(route, form, { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    expect(await dataSnapshot()).toEqual(before);
  });

  it.each([
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/html',
    'application/merge-patch+json',
    'application/json-patch+json',
    'application/jsonx',
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
  ])('answers 415 to %s on every body route, writing nothing', async (contentType) => {
    const before = await dataSnapshot();
    for (const route of Object.values(BODY_ROUTES)) {
      expectProblem(await send(route, JSON.stringify(route.body()), { 'content-type': contentType }), 415);
    }
    expect(await dataSnapshot()).toEqual(before);
  });

  it('answers 415 to a body without a content type', async () => {
    const route = BODY_ROUTES['POST /tasks'];
    const response = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: owner.auth, payload: Buffer.from(JSON.stringify(route.body())) });
    expectProblem(response, 415);
  });

  it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset="UTF-8"'])('reads %s', async (contentType) => {
    const response = await send(BODY_ROUTES['POST /categories'], JSON.stringify({ name: contentType }), { 'content-type': contentType });
    expect(response.statusCode).toBe(201);
  });
});

describe('a route that needs a body', () => {
  const PARTIAL_UPDATES = ['PATCH /users/me', 'PATCH /tasks/{id}', 'PATCH /categories/{id}'];

  it.each(PARTIAL_UPDATES)('%s: answers 400 naming the body when there is none, and changes nothing', async (name) => {
    const before = await dataSnapshot();
    expectProblem(await send(BODY_ROUTES[name], undefined, {}), 400, ['body']);
    expectProblem(await send(BODY_ROUTES[name], '', { 'content-type': 'application/json' }), 400, ['body']);
    expect(await dataSnapshot()).toEqual(before);
  });

  it.each(PARTIAL_UPDATES.flatMap((name) => ['null', '[]', '[{"name":"x"}]', '"a string"', '42', 'true'].map((text) => [name, text])))(
    '%s: answers 400 naming the body for %s, and changes nothing',
    async (name, text) => {
      const before = await dataSnapshot();
      const response = await send(BODY_ROUTES[name], text, { 'content-type': 'application/json' });
      expectProblem(response, 400, ['body']);
      expect(response.json().errors[0].message).toBe('body must be a JSON object');
      expect(await dataSnapshot()).toEqual(before);
    },
  );

  it('still accepts an empty object as a change of nothing', async () => {
    expect((await send(BODY_ROUTES['PATCH /tasks/{id}'], '{}', { 'content-type': 'application/json' })).statusCode).toBe(200);
  });

  it.each(['POST /auth/register', 'POST /auth/login', 'POST /tasks', 'DELETE /users/me'])('%s: answers 400 naming the body for null or none', async (name) => {
    expectProblem(await send(BODY_ROUTES[name], 'null', { 'content-type': 'application/json' }), 400, ['body']);
    expectProblem(await send(BODY_ROUTES[name], undefined, {}), 400, ['body']);
  });
});

describe('a route that reads no body ignores content-type: application/json on an empty one', () => {
  const json = { 'content-type': 'application/json' };

  it.each([
    ['with content-length: 0', { ...json, 'content-length': '0' }],
    ['without content-length', json],
  ])('POST /tasks/{id}/toggle %s: 200', async (_label, headers) => {
    const response = await call(owner, 'POST', `/tasks/${taskId}/toggle`, { payload: '', headers });
    expect(response.statusCode).toBe(200);
  });

  it('DELETE /tasks/{id}: 204', async () => {
    const id = (await createTask(call, owner, { title: 'Doomed' })).id;
    expect((await call(owner, 'DELETE', `/tasks/${id}`, { payload: '', headers: json })).statusCode).toBe(204);
    expect(await sql(app, 'select 1 from tasks where id = ? and deleted_at is not null', [id])).toHaveLength(1);
  });

  it('DELETE /categories/{id}: 204', async () => {
    const id = (await createCategory(call, owner, { name: 'Doomed' })).id;
    expect((await call(owner, 'DELETE', `/categories/${id}`, { payload: '', headers: json })).statusCode).toBe(204);
    expect(await sql(app, 'select 1 from categories where id = ?', [id])).toEqual([]);
  });

  it('DELETE /auth/sessions/{id} and POST /auth/logout: 204', async () => {
    const other = await login(app, owner.username, owner.password);
    const [{ id }] = await sql<{ id: string }>(app, 'select id from sessions where token_hash = ?', [createHash('sha256').update(other).digest('hex')]);
    expect((await call(owner, 'DELETE', `/auth/sessions/${id}`, { payload: '', headers: json })).statusCode).toBe(204);
    const third = await login(app, owner.username, owner.password);
    const caller = { ...owner, auth: { authorization: `Bearer ${third}` } };
    expect((await call(caller, 'POST', '/auth/logout', { payload: '', headers: json })).statusCode).toBe(204);
    expect((await call(caller, 'GET', '/users/me')).statusCode).toBe(401);
  });

  it('still answers 415 to another content type there, and reads JSON only to check it is JSON', async () => {
    expectProblem(await call(owner, 'POST', `/tasks/${taskId}/toggle`, { payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
    expectProblem(await call(owner, 'POST', `/tasks/${taskId}/toggle`, { payload: '{', headers: json }), 400);
    expect((await call(owner, 'POST', `/tasks/${taskId}/toggle`, { payload: '{"ignored":true}', headers: json })).statusCode).toBe(200);
  });
});
