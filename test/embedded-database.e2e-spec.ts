import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/database/embedded-database.js';
import { freePort } from './support/free-port.js';

/**
 * The embedded PostgreSQL as `npm start`, `npm run db:*` and the tests use it: failures end the
 * process with one line and no stack, the password is random and kept 0600, and the database
 * scripts of a checkout use the server its API runs instead of starting a second one.
 * (Root from a 0700 folder is proven end to end by .ci/private-folder-check.)
 */
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tasktracker-embedded-'));
  // As root, PostgreSQL runs as the `postgres` user, which must reach the data folders below.
  chmodSync(root, 0o755);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const freshDir = (name: string) => join(root, name, 'postgres');

/** src/<script> in a child process, the way its npm script runs it; resolves when it exits. */
function runScript(script: string, args: string[], env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env };
  for (const name of ['NODE_OPTIONS', 'DATABASE_URL', 'TEST_DATABASE_URL', 'MIGRATE_ON_START', 'REDIS_URL']) {
    delete childEnv[name];
  }
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', script, ...args], {
    cwd: process.cwd(),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** One line on stderr, no stack frame, a non-zero exit code. */
function expectOneLineFailure(result: { code: number | null; stderr: string }) {
  expect(result.code).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/undefined|Unhandled/);
  return lines[0];
}

describe('start-up failures end the process with one line (npm start path, src/main.ts)', () => {
  it('names a taken port and the setting that changes it', async () => {
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const result = await runScript('src/main.ts', [], {
        EMBEDDED_DATABASE_DIR: freshDir('port-taken'),
        EMBEDDED_DATABASE_PORT: String(port),
      });
      const line = expectOneLineFailure(result);
      expect(line).toContain(`port ${port}`);
      expect(line).toContain('taken');
      expect(line).toContain('EMBEDDED_DATABASE_PORT');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('names a data folder made by another PostgreSQL major version and what to do', async () => {
    const dataDir = freshDir('old-major');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'PG_VERSION'), '16\n');
    const result = await runScript('src/main.ts', [], {
      EMBEDDED_DATABASE_DIR: dataDir,
      EMBEDDED_DATABASE_PORT: String(await freePort()),
    });
    const line = expectOneLineFailure(result);
    expect(line).toContain('PostgreSQL 16');
    expect(line).toContain('version 18');
    expect(line).toContain(dataDir);
    expect(line).toContain('EMBEDDED_DATABASE_DIR');
  });
});

describe('the embedded database password', () => {
  let database: EmbeddedDatabase | undefined;
  let port: number;
  const dataDir = () => freshDir('password');

  afterAll(async () => database?.stop(), 30_000);

  const canLogIn = async (password: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return true;
    } catch (error) {
      expect((error as { code?: string }).code).toBe('28P01'); // wrong password, nothing else
      return false;
    }
  };

  it('is random, kept in a 0600 file in the data folder, and postgres:postgres does not log in', async () => {
    port = await freePort();
    database = await startEmbeddedDatabase({ dataDir: dataDir(), port, databaseName: 'tasktracker_embedded' });
    const password = decodeURIComponent(new URL(database.url).password);
    expect(password).not.toBe('postgres');
    expect(password.length).toBeGreaterThanOrEqual(32);
    const file = join(database.dataDir, 'tasktracker-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await canLogIn(password)).toBe(true);
    expect(await canLogIn('postgres')).toBe(false);
  });

  it('is kept across restarts', async () => {
    const before = database!.url;
    await database!.stop();
    database = await startEmbeddedDatabase({ dataDir: dataDir(), port, databaseName: 'tasktracker_embedded' });
    expect(database.url).toBe(before);
  });

  it('replaces postgres:postgres on a data folder made before passwords were random', async () => {
    const client = new pg.Client({ connectionString: database!.url });
    await client.connect();
    await client.query(`alter role postgres with password 'postgres'`);
    await client.end();
    await database!.stop();
    rmSync(join(dataDir(), 'tasktracker-password'));

    database = await startEmbeddedDatabase({ dataDir: dataDir(), port, databaseName: 'tasktracker_embedded' });
    const password = decodeURIComponent(new URL(database.url).password);
    expect(password).not.toBe('postgres');
    expect(statSync(join(dataDir(), 'tasktracker-password')).mode & 0o777).toBe(0o600);
    expect(await canLogIn('postgres')).toBe(false);
    expect(await canLogIn(password)).toBe(true);
  });
});

describe('database scripts while the API runs on the embedded database', () => {
  let api: EmbeddedDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    // What `npm start` does first; the scripts below get the same folder and port, as in one checkout.
    const port = await freePort();
    env = { EMBEDDED_DATABASE_DIR: freshDir('shared'), EMBEDDED_DATABASE_PORT: String(port), BCRYPT_COST: '10' };
    api = await startEmbeddedDatabase({ dataDir: env.EMBEDDED_DATABASE_DIR, port, databaseName: 'tasktracker' });
  }, 60_000);

  afterAll(async () => api?.stop(), 30_000);

  it('db:migrate uses the running server (a second one could not even bind the port) and leaves it running', async () => {
    const result = await runScript('src/database/migration-cli.ts', ['up'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the embedded PostgreSQL already running for this checkout');
    const client = new pg.Client({ connectionString: api!.url });
    await client.connect();
    const { rows } = await client.query(`select count(*)::int as n from mikro_orm_migrations`);
    await client.end();
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('db:seed writes its sample users into the running server', async () => {
    const result = await runScript('src/seed.ts', [], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const client = new pg.Client({ connectionString: api!.url });
    await client.connect();
    const { rows } = await client.query(`select username from users order by username`);
    await client.end();
    expect(rows.map((row) => row.username)).toEqual(['jane.smith', 'john.doe']);
  });
});
