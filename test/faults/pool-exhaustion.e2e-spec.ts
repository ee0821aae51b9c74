import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from '../support/accounts.js';
import { connectToTestDatabase, createAppWithEnv, faultName, sleep, timed, uuidLiteral } from './support.js';

/**
 * A pool of 2 connections, both stuck behind a row lock: the requests that cannot get a
 * connection must give up after the acquire timeout with 503 + Retry-After (never 500, never
 * hang), and the app must be healthy again once the lock goes.
 */
const POOL_SIZE = 2;
const ACQUIRE_TIMEOUT_MS = 1_000;
const CONCURRENT_PATCHES = 30;
const LOCK_HELD_MS = 1_200;
// Acquire timeout + 1 s, plus 500 ms of slack for a loaded 2-core machine.
const MAX_REQUEST_MS = ACQUIRE_TIMEOUT_MS + 1_000 + 500;

let app: NestFastifyApplication;
let account: TestAccount;
let taskId: string;

beforeAll(async () => {
  app = await createAppWithEnv({
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    DATABASE_MAX_OVERFLOW: '0',
    DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
  });
  account = await registerAndLogin(app);
  const created = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title: 'contended task' } });
  expect(created.statusCode).toBe(201);
  taskId = created.json().id;
});

afterAll(async () => {
  await app?.close();
});

describe('connection pool exhaustion', () => {
  it('answers the excess with 503 + Retry-After within acquire timeout + 1 s, never 500, then recovers', async () => {
    const locker = await connectToTestDatabase();
    let results: Array<{ status: number; ms: number; contentType: string; retryAfter: unknown; body: string }>;
    try {
      await locker.query('begin');
      const locked = await locker.query('select * from tasks where id = $1 for update', [taskId]);
      expect(locked.rowCount).toBe(1);

      const burst = Array.from({ length: CONCURRENT_PATCHES }, (_, index) =>
        timed(() =>
          app.inject({
            method: 'PATCH',
            url: `/api/v1/tasks/${taskId}`,
            headers: account.auth,
            payload: { description: `attempt ${index}` },
          }),
        ).then(({ value, ms }) => ({
          status: value.statusCode,
          ms,
          contentType: String(value.headers['content-type']),
          retryAfter: value.headers['retry-after'],
          body: value.body,
        })),
      );
      await sleep(LOCK_HELD_MS);
      await locker.query('rollback');
      results = await Promise.all(burst);
    } finally {
      await locker.end();
    }

    const statuses = results.map((r) => r.status);
    const tally = statuses.reduce<Record<number, number>>((counts, s) => ({ ...counts, [s]: (counts[s] ?? 0) + 1 }), {});
    // Only 200 (got a connection) and 503 (did not): never 500, never anything else.
    // (A 412 here is an unconditional PATCH that lost the version race 3 times: see the next test.)
    expect(results.filter((r) => r.status !== 200 && r.status !== 503).map((r) => ({ status: r.status, body: r.body }))).toEqual([]);
    // The pool really was exhausted, and the lock holders really got through.
    expect(tally[503] ?? 0).toBeGreaterThanOrEqual(CONCURRENT_PATCHES / 2);
    expect(tally[200] ?? 0).toBeGreaterThanOrEqual(1);

    for (const rejected of results.filter((r) => r.status === 503)) {
      expect(rejected.contentType).toMatch(/^application\/problem\+json/);
      expect(rejected.retryAfter).toMatch(/^\d+$/);
      expect(JSON.parse(rejected.body)).toMatchObject({ status: 503, title: 'Service Unavailable' });
    }
    // Bounded: nobody waits much longer than the acquire timeout (+1 s for the lock holders).
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeLessThan(MAX_REQUEST_MS);
    // And the 503s were not instant either: they waited for a connection about as long as configured.
    const fastest503 = Math.min(...results.filter((r) => r.status === 503).map((r) => r.ms));
    expect(fastest503).toBeGreaterThanOrEqual(ACQUIRE_TIMEOUT_MS * 0.9);

    const list = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth });
    expect(list.statusCode).toBe(200);
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/v1/tasks/${taskId}`,
      headers: account.auth,
      payload: { description: 'after the storm' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().description).toBe('after the storm');
  }, 20_000);

  it('an unconditional PATCH that keeps losing the version race answers 503 + Retry-After, not 412', async () => {
    // Deterministic stand-in for "other writers always win": PostgreSQL silently skips every
    // UPDATE of this task, so each optimistic-lock attempt finds the version changed.
    const created = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title: 'always loses' } });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;
    const etag = String(created.headers.etag);
    const db = await connectToTestDatabase();
    const fn = faultName('skip_task_update');
    let unconditional;
    let conditional;
    try {
      await db.query(`create function ${fn}() returns trigger language plpgsql as $$ begin return null; end $$`);
      await db.query(`create trigger ${fn} before update on tasks for each row when (old.id = ${uuidLiteral(id)}) execute function ${fn}()`);
      unconditional = await app.inject({ method: 'PATCH', url: `/api/v1/tasks/${id}`, headers: account.auth, payload: { title: 'x' } });
      conditional = await app.inject({
        method: 'PATCH',
        url: `/api/v1/tasks/${id}`,
        headers: { ...account.auth, 'if-match': etag },
        payload: { title: 'y' },
      });
    } finally {
      await db.query(`drop trigger if exists ${fn} on tasks`);
      await db.query(`drop function if exists ${fn}()`);
      await db.end();
    }

    // With If-Match, losing the race is exactly what 412 means.
    expect(conditional.statusCode).toBe(412);
    // Without it the client stated no precondition (RFC 9110 §15.5.13): a transient conflict,
    // answered like the other "busy, retry shortly" cases.
    expect({ status: unconditional.statusCode, type: unconditional.json().type }).toEqual({
      status: 503,
      type: expect.not.stringContaining('precondition-failed'),
    });
    expect(unconditional.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(unconditional.headers['retry-after']).toMatch(/^\d+$/);
  });
});
