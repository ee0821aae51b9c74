import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerAndLogin, type TestAccount } from '../support/accounts.js';
import { connectToTestDatabase, createAppWithEnv, faultName, INTERNAL_LEAK, LogCapture, PINO_ERROR } from './support.js';

/**
 * An exception nobody planned for (here: PostgreSQL refusing one INSERT through a trigger) must
 * answer a bare 500 problem, be logged exactly once at error level, and leave the app serving.
 */
let app: NestFastifyApplication;
let db: pg.Client;
let account: TestAccount;
const logs = new LogCapture();
const marker = faultName('boom');
const doomedTitle = `doomed ${marker}`;
const fn = faultName('refuse_task_insert');

beforeAll(async () => {
  app = await createAppWithEnv({ DATABASE_URL: process.env.TEST_DATABASE_URL, LOG_LEVEL: 'info' }, logs);
  db = await connectToTestDatabase();
  account = await registerAndLogin(app);
  await db.query(`create function ${fn}() returns trigger language plpgsql as $$
    begin raise exception 'fault injection ${marker}: refusing task %', new.title; end $$`);
  await db.query(
    `create trigger ${fn} before insert on tasks for each row when (new.title = '${doomedTitle}') execute function ${fn}()`,
  );
});

afterAll(async () => {
  if (db) {
    await db.query(`drop trigger if exists ${fn} on tasks`);
    await db.query(`drop function if exists ${fn}()`);
    await db.end();
  }
  await app?.close();
});

describe('an unexpected exception in a handler', () => {
  it('answers a bare 500 problem, is logged exactly once at error level, and the app keeps serving', async () => {
    logs.clear();
    const failed = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title: doomedTitle } });

    expect(failed.statusCode).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.json()).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: expect.any(String),
    });
    expect(failed.body).not.toMatch(INTERNAL_LEAK);
    expect(failed.body).not.toContain(marker);

    const errorLines = logs.entries().filter((entry) => Number(entry.level) >= PINO_ERROR);
    const mentioningTheError = errorLines.filter((entry) => JSON.stringify(entry).includes(marker));
    expect(mentioningTheError).toHaveLength(1);
    // Tied to the request that failed, so it can be found from the client's X-Request-Id.
    expect(JSON.stringify(mentioningTheError[0])).toContain(String(failed.headers['x-request-id']));

    // Nothing was stored, and the very next requests are served normally.
    const stored = await db.query('select 1 from tasks where title = $1', [doomedTitle]);
    expect(stored.rowCount).toBe(0);
    const next = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth });
    expect(next.statusCode).toBe(200);
    const created = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title: 'a normal task' } });
    expect(created.statusCode).toBe(201);
  });
});
