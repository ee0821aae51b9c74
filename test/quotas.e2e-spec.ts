import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { createHash } from 'node:crypto';
import { SessionsService } from '../src/auth/sessions.service.js';
import { User } from '../src/users/user.entity.js';
import { login, registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, expectProblem, sql, type Call } from './support/tasks-fixtures.js';

// Small quotas, so each can be reached and raced cheaply; the defaults are checked in
// src/config/environment.spec.ts and, for categories, in categories.e2e-spec.
const MAX_TASKS = 5;
const MAX_CATEGORIES = 3;
const MAX_SESSIONS = 3;
/** Concurrent requests fired at a quota: well past it. */
const RACERS = 12;

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];

const QUOTA_ENV = {
  MAX_TASKS_PER_USER: String(MAX_TASKS),
  MAX_CATEGORIES_PER_USER: String(MAX_CATEGORIES),
  MAX_SESSIONS_PER_USER: String(MAX_SESSIONS),
  RATE_LIMIT_PER_MINUTE: '100000',
  // Each login in flight holds one reserved failure on its account-and-address counter until its
  // password is judged (docs/SECURITY.md, "Login abuse"): 12 at once from one address need room.
  LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: '50',
};

beforeAll(async () => {
  Object.assign(process.env, QUOTA_ENV);
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
});

afterAll(async () => {
  for (const name of Object.keys(QUOTA_ENV)) {
    delete process.env[name];
  }
  await app.close();
});

// Emptied by each check, so a 5xx is blamed on the test that saw it only.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

const count = async (table: string, userId: string) =>
  (await sql<{ count: number }>(app, `select count(*)::int as count from ${table} where user_id = ?`, [userId]))[0].count;

function expectQuotaExceeded(response: LightMyRequestResponse, limitText: string): void {
  expectProblem(response, 403);
  expect(response.json()).toMatchObject({
    type: 'urn:tasktracker:problem:quota-exceeded',
    detail: expect.stringContaining(`at most ${limitText}`),
  });
}

const statuses = (responses: LightMyRequestResponse[]) => responses.map((response) => response.statusCode).sort();

describe('tasks quota (MAX_TASKS_PER_USER)', () => {
  it('creates up to the quota, then answers 403 quota-exceeded naming the limit and writes nothing', async () => {
    const owner = await registerAndLogin(app);
    for (let i = 1; i <= MAX_TASKS; i++) {
      expect((await call(owner, 'POST', '/tasks', { payload: { title: `task ${i}` } })).statusCode).toBe(201);
    }
    expectQuotaExceeded(await call(owner, 'POST', '/tasks', { payload: { title: 'one too many' } }), `${MAX_TASKS} tasks`);
    expect(await count('tasks', owner.id)).toBe(MAX_TASKS);
    // The quota is per user.
    expect((await call(await registerAndLogin(app), 'POST', '/tasks', { payload: { title: 'another user' } })).statusCode).toBe(201);
  });

  it(`holds under ${RACERS} concurrent creates: exactly ${MAX_TASKS} succeed, the rest 403, the table holds ${MAX_TASKS}`, async () => {
    const owner = await registerAndLogin(app);
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => call(owner, 'POST', '/tasks', { payload: { title: `racer ${i}` } })),
    );
    expect(statuses(responses)).toEqual([...Array(MAX_TASKS).fill(201), ...Array(RACERS - MAX_TASKS).fill(403)]);
    for (const refused of responses.filter((response) => response.statusCode === 403)) {
      expectQuotaExceeded(refused, `${MAX_TASKS} tasks`);
    }
    expect(await count('tasks', owner.id)).toBe(MAX_TASKS);
  });

  it('frees a slot when a task is deleted for good (the trash still counts), and counts tasks written by raw SQL too', async () => {
    const owner = await registerAndLogin(app);
    await sql(app, `insert into tasks (title, user_id) select 'bulk ' || n, ? from generate_series(1, ?) as n`, [owner.id, MAX_TASKS]);
    expectQuotaExceeded(await call(owner, 'POST', '/tasks', { payload: { title: 'over' } }), `${MAX_TASKS} tasks`);
    const [{ id }] = await sql<{ id: string }>(app, 'select id from tasks where user_id = ? limit 1', [owner.id]);
    expect((await call(owner, 'DELETE', `/tasks/${id}`)).statusCode).toBe(204);
    expectQuotaExceeded(await call(owner, 'POST', '/tasks', { payload: { title: 'trash counts' } }), `${MAX_TASKS} tasks`);
    expect((await call(owner, 'DELETE', `/trash/${id}`)).statusCode).toBe(204);
    expect((await call(owner, 'POST', '/tasks', { payload: { title: 'fits again' } })).statusCode).toBe(201);
    expectQuotaExceeded(await call(owner, 'POST', '/tasks', { payload: { title: 'over again' } }), `${MAX_TASKS} tasks`);
  });

  it('keeps users.task_count equal to the number of tasks through inserts, deletes and bulk SQL', async () => {
    const owner = await registerAndLogin(app);
    await sql(app, `insert into tasks (title, user_id) select 'bulk ' || n, ? from generate_series(1, 4) as n`, [owner.id]);
    await sql(app, `delete from tasks where user_id = ? and title in ('bulk 1', 'bulk 2')`, [owner.id]);
    await call(owner, 'POST', '/tasks', { payload: { title: 'via the API' } });
    const [{ task_count }] = await sql<{ task_count: number }>(app, 'select task_count from users where id = ?', [owner.id]);
    expect(task_count).toBe(await count('tasks', owner.id));
    expect(task_count).toBe(3);
  });
});

describe('categories quota (MAX_CATEGORIES_PER_USER)', () => {
  it(`holds under ${RACERS} concurrent creates: exactly ${MAX_CATEGORIES} succeed, the rest 403 quota-exceeded`, async () => {
    const owner = await registerAndLogin(app);
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => call(owner, 'POST', '/categories', { payload: { name: `racer ${i}` } })),
    );
    expect(statuses(responses)).toEqual([...Array(MAX_CATEGORIES).fill(201), ...Array(RACERS - MAX_CATEGORIES).fill(403)]);
    for (const refused of responses.filter((response) => response.statusCode === 403)) {
      expectQuotaExceeded(refused, `${MAX_CATEGORIES} categories`);
    }
    expect(await count('categories', owner.id)).toBe(MAX_CATEGORIES);
  });
});

describe('sessions quota (MAX_SESSIONS_PER_USER)', () => {
  const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const works = async (token: string) =>
    (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode;

  it('a login past the quota revokes the oldest session by creation; the others keep working', async () => {
    const owner = await registerAndLogin(app);
    const tokens = [owner.token];
    for (let i = 1; i <= MAX_SESSIONS; i++) {
      tokens.push(await login(app, owner.username, owner.password));
    }
    expect(await works(tokens[0])).toBe(401);
    for (const token of tokens.slice(1)) {
      expect(await works(token)).toBe(200);
    }
    const rows = await sql<{ token_hash: string }>(app, 'select token_hash from sessions where user_id = ? order by created_at', [owner.id]);
    expect(rows.map((row) => row.token_hash)).toEqual(tokens.slice(1).map(sha256Hex));
  });

  it('revokes by creation, not by last use: the oldest goes even if it was used last', async () => {
    const owner = await registerAndLogin(app);
    const later = [await login(app, owner.username, owner.password), await login(app, owner.username, owner.password)];
    await sql(app, `update sessions set last_used_at = now() - interval '5 minutes' where user_id = ? and token_hash <> ?`, [owner.id, sha256Hex(owner.token)]);
    const newest = await login(app, owner.username, owner.password);
    expect(await works(owner.token)).toBe(401);
    expect(await Promise.all([...later, newest].map(works))).toEqual([200, 200, 200]);
  });

  it('counts only live sessions: an expired one is removed first and no live one is revoked for it', async () => {
    const owner = await registerAndLogin(app);
    const second = await login(app, owner.username, owner.password);
    const third = await login(app, owner.username, owner.password);
    await sql(app, `update sessions set expires_at = now() - interval '1 second' where token_hash = ?`, [sha256Hex(owner.token)]);
    const fourth = await login(app, owner.username, owner.password);
    expect(await Promise.all([second, third, fourth].map(works))).toEqual([200, 200, 200]);
    expect(await count('sessions', owner.id)).toBe(MAX_SESSIONS);
  });

  it(`holds under ${RACERS} concurrent logins: every login answers 200, exactly ${MAX_SESSIONS} sessions remain and work`, async () => {
    const owner = await registerAndLogin(app);
    const tokens = await Promise.all(Array.from({ length: RACERS }, () => login(app, owner.username, owner.password)));
    expect(await count('sessions', owner.id)).toBe(MAX_SESSIONS);
    const alive = (await Promise.all(tokens.map(works))).filter((status) => status === 200);
    expect(alive).toHaveLength(MAX_SESSIONS);
  });

  it(`holds when ${RACERS} sessions start at the same instant (bcrypt skipped, so the transactions truly overlap)`, async () => {
    const owner = await registerAndLogin(app);
    const user = await app.get(MikroORM).em.fork().findOneOrFail(User, owner.id);
    const sessions = app.get(SessionsService);
    const started = await Promise.all(Array.from({ length: RACERS }, () => sessions.start(user, 'racer')));
    const kept = await sql<{ id: string }>(app, 'select id from sessions where user_id = ?', [owner.id]);
    expect(kept).toHaveLength(MAX_SESSIONS);
    expect(started.map(({ session }) => session.id)).toEqual(expect.arrayContaining(kept.map((row) => row.id)));
  });
});

describe('GET /auth/sessions is paged with limit and cursor, like GET /tasks', () => {
  let owner: TestAccount;
  let ids: string[];

  beforeAll(async () => {
    owner = await registerAndLogin(app);
    await login(app, owner.username, owner.password);
    await login(app, owner.username, owner.password);
    ids = (await sql<{ id: string }>(app, 'select id from sessions where user_id = ? order by created_at desc, id desc', [owner.id])).map((row) => row.id);
    expect(ids).toHaveLength(MAX_SESSIONS);
  });

  it('walks every live session once, newest first, with nextCursor null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const response = await call(owner, 'GET', `/auth/sessions${query}`);
      expect(response.statusCode).toBe(200);
      const body = response.json() as { items: { id: string }[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids);
  });

  it('defaults to 20 a page and answers nextCursor null when everything fits', async () => {
    const body = (await call(owner, 'GET', '/auth/sessions')).json();
    expect(body.items.map((item: { id: string }) => item.id)).toEqual(ids);
    expect(body.nextCursor).toBeNull();
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'cursor=not-a-cursor'])('answers 400 for %s', async (query) => {
    expectProblem(await call(owner, 'GET', `/auth/sessions?${query}`), 400, [query.split('=')[0]]);
  });

  it("answers 400 for a tasks list's cursor and for a forged one", async () => {
    const tasksCursor = Buffer.from(JSON.stringify({ f: 'x', v: '2026-01-01T00:00:00.000000Z', i: ids[0] })).toString('base64url');
    expectProblem(await call(owner, 'GET', `/auth/sessions?cursor=${tasksCursor}`), 400, ['cursor']);
    const first = (await call(owner, 'GET', '/auth/sessions?limit=1')).json();
    const decoded = JSON.parse(Buffer.from(first.nextCursor, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...decoded, v: '2026-13-45T00:00:00.000000Z' })).toString('base64url');
    expectProblem(await call(owner, 'GET', `/auth/sessions?cursor=${forged}`), 400, ['cursor']);
  });
});
