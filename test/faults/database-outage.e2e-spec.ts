import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startEmbeddedDatabase, type EmbeddedDatabase, type EmbeddedDatabaseOptions } from '../../src/database/embedded-database.js';
import { registerAndLogin, type TestAccount } from '../support/accounts.js';
import {
  createAppWithEnv,
  expectUnavailable,
  freePort,
  httpJson,
  pollUntil,
  spawnServer,
  timed,
  type ServerProcess,
} from './support.js';

/**
 * PostgreSQL goes away under a running app and comes back: the app must stay up, say so
 * (readiness 503, API 503 + Retry-After, fast), and recover by itself with no data lost.
 *
 * Checked on two apps sharing one dedicated embedded PostgreSQL: the in-process app (createTestApp,
 * Jest's vm realm) and the real server process (src/main.ts, Node's own realm, as in production).
 */
const ACQUIRE_TIMEOUT_MS = 2_000;
const PROMPT_MS = 1_000;

let root: string;
let options: EmbeddedDatabaseOptions;
let database: EmbeddedDatabase | undefined;
let app: NestFastifyApplication | undefined;
let server: ServerProcess | undefined;
let account: TestAccount;
let serverAuth: Record<string, string>;
const acknowledged: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tasktracker-outage-'));
  // When run as root, PostgreSQL runs as the `postgres` user and must reach its data directory.
  chmodSync(root, 0o755);
  options = { dataDir: join(root, 'data'), port: await freePort(), databaseName: 'tasktracker_test_outage' };
  database = await startEmbeddedDatabase(options);
  const env = { DATABASE_URL: database.url, DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS) };
  // One after the other: both migrate on start.
  app = await createAppWithEnv(env);
  server = await spawnServer({ ...env, BCRYPT_COST: '10' });
}, 50_000);

afterAll(async () => {
  await server?.kill();
  await app?.close();
  await database?.stop();
  rmSync(root, { recursive: true, force: true });
}, 30_000);

const listTasks = () => app!.inject({ method: 'GET', url: '/api/v1/tasks?limit=100', headers: account.auth });
const createTask = (title: string) =>
  app!.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title } });
const serverCall = (method: string, path: string, body?: unknown) =>
  httpJson(server!.baseUrl, method, path, { body, headers: serverAuth, timeoutMs: ACQUIRE_TIMEOUT_MS + 5_000 });

const titlesOf = (page: unknown) => (page as { items: Array<{ id: string; title: string }> }).items;

describe('PostgreSQL outage and recovery', () => {
  it('accepts writes before the outage', async () => {
    account = await registerAndLogin(app!);
    for (const title of ['before outage 1', 'before outage 2', 'before outage 3']) {
      const created = await createTask(title);
      expect(created.statusCode).toBe(201);
      acknowledged.push(created.json().id);
    }
    // The real server shares the database: its session works against the same rows.
    const login = await httpJson(server!.baseUrl, 'POST', '/api/v1/auth/login', {
      body: { login: account.username, password: account.password },
    });
    expect(login.statusCode).toBe(200);
    serverAuth = { authorization: `Bearer ${(login.json() as { accessToken: string }).accessToken}` };
    const viaServer = await serverCall('POST', '/api/v1/tasks', { title: 'before outage 4' });
    expect(viaServer.statusCode).toBe(201);
    acknowledged.push((viaServer.json() as { id: string }).id);
  });

  it('in-process app: live 200, ready 503 within 2 s, API 503 problem+json with Retry-After, promptly', async () => {
    expect(acknowledged).toHaveLength(4);
    await database!.stop();
    database = undefined;

    const live = await app!.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);

    const ready = await timed(() => app!.inject({ method: 'GET', url: '/health/ready' }));
    expect(ready.value.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(2_000);

    for (let attempt = 0; attempt < 3; attempt++) {
      const list = await timed(listTasks);
      expect({ route: 'GET /api/v1/tasks', status: list.value.statusCode }).toEqual({ route: 'GET /api/v1/tasks', status: 503 });
      expectUnavailable(list.value);
      expect(list.ms).toBeLessThan(PROMPT_MS);

      const write = await timed(() => createTask(`during outage ${attempt}`));
      expect({ route: 'POST /api/v1/tasks', status: write.value.statusCode }).toEqual({ route: 'POST /api/v1/tasks', status: 503 });
      expectUnavailable(write.value);
      expect(write.ms).toBeLessThan(PROMPT_MS);
    }

    // Still alive and answering after all of that.
    expect((await app!.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('real server process: no crash, live 200, ready 503 within 2 s, API 503 problem+json with Retry-After, promptly', async () => {
    expect(database).toBeUndefined();
    expect((await httpJson(server!.baseUrl, 'GET', '/health/live')).statusCode).toBe(200);

    const ready = await timed(() => httpJson(server!.baseUrl, 'GET', '/health/ready'));
    expect(ready.value.statusCode).toBe(503);
    expect(ready.ms).toBeLessThan(2_000);

    for (let attempt = 0; attempt < 3; attempt++) {
      const list = await timed(() => serverCall('GET', '/api/v1/tasks?limit=100'));
      expectUnavailable(list.value);
      expect(list.ms).toBeLessThan(PROMPT_MS);

      const write = await timed(() => serverCall('POST', '/api/v1/tasks', { title: `during outage ${attempt}` }));
      expectUnavailable(write.value);
      expect(write.ms).toBeLessThan(PROMPT_MS);
    }

    expect((await httpJson(server!.baseUrl, 'GET', '/health/live')).statusCode).toBe(200);
    expect(server!.child.exitCode).toBeNull();
    expect(server!.child.signalCode).toBeNull();
  });

  it('recovers without a restart once PostgreSQL is back, with every acknowledged write intact', async () => {
    database = await startEmbeddedDatabase(options);

    await pollUntil(
      async () => ((await app!.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200 ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 250, what: 'the in-process /health/ready to return 200 after the restart' },
    );
    await pollUntil(
      async () => ((await httpJson(server!.baseUrl, 'GET', '/health/ready')).statusCode === 200 ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 250, what: "the server process's /health/ready to return 200 after the restart" },
    );

    const after = await createTask('after outage');
    expect(after.statusCode).toBe(201);
    const afterViaServer = await serverCall('POST', '/api/v1/tasks', { title: 'after outage via server' });
    expect(afterViaServer.statusCode).toBe(201);

    const list = await listTasks();
    expect(list.statusCode).toBe(200);
    const tasks = titlesOf(list.json());
    expect(tasks.map((task) => task.id)).toEqual(
      expect.arrayContaining([...acknowledged, after.json().id, (afterViaServer.json() as { id: string }).id]),
    );
    // Nothing attempted during the outage slipped in.
    expect(tasks.filter((task) => task.title.startsWith('during outage'))).toEqual([]);

    const listViaServer = await serverCall('GET', '/api/v1/tasks?limit=100');
    expect(listViaServer.statusCode).toBe(200);
    expect(titlesOf(listViaServer.json()).map((task) => task.id).sort()).toEqual(tasks.map((task) => task.id).sort());
    expect(server!.child.exitCode).toBeNull();
  }, 40_000);
});
