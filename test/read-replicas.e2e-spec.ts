import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MikroORM } from '@mikro-orm/postgresql';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { createTestOrm } from './support/test-orm.js';
import { createAppWithEnv } from './faults/support.js';
import { freePort } from './support/free-port.js';

/**
 * DATABASE_REPLICA_URLS routes task lists, counts and stats to a replica and nothing else. The
 * "replica" here is a login that may read the tasks table only: a session lookup, a single-task
 * read or a write sent to it would fail, and revoking its grant shows which routes use it.
 * (`npm run test:cluster` checks the same against a real streaming replica.)
 */
const READER_ROLE = 'tasktracker_replica_reader_test';
const READER_PASSWORD = 'replica-reader-password';

let admin: MikroORM;
let app: NestFastifyApplication;
let owner: TestAccount;

const sql = (query: string) => admin.em.getConnection().execute(query);

function readerUrl(primaryUrl: string): string {
  const url = new URL(primaryUrl);
  url.username = READER_ROLE;
  url.password = READER_PASSWORD;
  return url.toString();
}

beforeAll(async () => {
  admin = await createTestOrm();
  // Roles belong to the whole server, so a run before this one may have left it behind.
  await sql(`do $$ begin create role ${READER_ROLE} login; exception when duplicate_object then null; end $$`);
  await sql(`alter role ${READER_ROLE} login password '${READER_PASSWORD}'`);
  await sql(`grant usage on schema public to ${READER_ROLE}`);
  // Lists read tasks, and the people on them (creator, assignee) from users' public columns, as
  // deploy/lib/postgres.sh grants the cluster's reader: never a password hash.
  await sql(`grant select on tasks to ${READER_ROLE}`);
  await sql(`grant select (id, username, name) on users to ${READER_ROLE}`);

  process.env.DATABASE_REPLICA_URLS = readerUrl(process.env.TEST_DATABASE_URL!);
  app = await createTestApp();
  await truncateAll(app);
  owner = await registerAndLogin(app);
});

afterAll(async () => {
  delete process.env.DATABASE_REPLICA_URLS;
  await app.close();
  await sql(`revoke all on tasks, users from ${READER_ROLE}`);
  await sql(`revoke usage on schema public from ${READER_ROLE}`);
  await admin.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: owner.auth, ...(payload && { payload }) });

describe('with DATABASE_REPLICA_URLS set', () => {
  it('serves sessions, writes and the read-back after a write from the primary', async () => {
    const created = await call('POST', '/tasks', { title: 'Written to the primary' });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;

    const readBack = await call('GET', `/tasks/${id}`);
    expect(readBack.statusCode).toBe(200);
    expect(readBack.json().title).toBe('Written to the primary');

    const changed = await call('PATCH', `/tasks/${id}`, { status: 'completed' });
    expect(changed.statusCode).toBe(200);
    expect((await call('GET', '/users/me')).statusCode).toBe(200);
  });

  it('answers lists, totals and stats through the replica connection', async () => {
    const list = await call('GET', '/tasks?includeTotal=true');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((task: { title: string }) => task.title)).toEqual(['Written to the primary']);
    expect(list.json().total).toBe(1);

    const stats = await call('GET', '/tasks/stats');
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ total: 1, byStatus: { completed: 1 } });

    const [{ connections }] = await sql(
      `select count(*)::int as connections from pg_stat_activity where usename = '${READER_ROLE}'`,
    );
    expect(connections).toBeGreaterThan(0);
  });

  it('fails only the replica routes when the replica refuses to read', async () => {
    await sql(`revoke select on tasks from ${READER_ROLE}`);
    try {
      expect((await call('GET', '/tasks')).statusCode).toBe(500);
      expect((await call('GET', '/tasks/stats')).statusCode).toBe(500);

      const created = await call('POST', '/tasks', { title: 'Still written' });
      expect(created.statusCode).toBe(201);
      expect((await call('GET', `/tasks/${created.json().id}`)).statusCode).toBe(200);
    } finally {
      await sql(`grant select on tasks to ${READER_ROLE}`);
    }
    expect((await call('GET', '/tasks')).statusCode).toBe(200);
  });
});

describe('with a replica that does not answer', () => {
  it('answers lists and stats 503 with Retry-After, and everything on the primary as usual', async () => {
    const unreachable = new URL(process.env.TEST_DATABASE_URL!);
    unreachable.port = String(await freePort());
    const degraded = await createAppWithEnv({ DATABASE_REPLICA_URLS: unreachable.toString() });
    try {
      const request = (method: 'GET' | 'POST', url: string, payload?: object) =>
        degraded.inject({ method, url: `/api/v1${url}`, headers: owner.auth, ...(payload && { payload }) });
      for (const url of ['/tasks', '/tasks/stats']) {
        const response = await request('GET', url);
        expect(response.statusCode).toBe(503);
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
      const created = await request('POST', '/tasks', { title: 'Written while the replica is away' });
      expect(created.statusCode).toBe(201);
      expect((await request('GET', `/tasks/${created.json().id}`)).statusCode).toBe(200);
      expect((await degraded.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      await degraded.close();
    }
  });
});
