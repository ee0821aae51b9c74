import { Agent } from 'node:http';
import { newAccountData, registerAndLogin } from '../support/accounts.js';
import { dropDatabase, ensureDatabaseExists, withDatabaseName } from '../support/test-database.js';
import {
  connectToTestDatabase,
  createAppWithEnv,
  freePort,
  freshConnectionRequest,
  sleep,
  spawnServer,
  within,
  type ServerProcess,
} from './support.js';

/**
 * The real server (src/main.ts) in a child process, stopped with SIGTERM while slow requests are
 * in flight: they must finish, new ones must be turned away, and the process must exit 0.
 */
const databaseUrl = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_shutdown');
const CONCURRENT_LOGINS = 20;
const SIGTERM_AFTER_MS = 200;
const LATE_REQUEST_AFTER_MS = 500;
const SHUTDOWN_DEADLINE_MS = 10_000;

let server: ServerProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
  await ensureDatabaseExists(databaseUrl);
  // Cost 12: every login hashes for real on libuv's pool, so the burst is still running at SIGTERM.
  server = await spawnServer({ DATABASE_URL: databaseUrl, BCRYPT_COST: '12' });
  baseUrl = server.baseUrl;
}, 45_000);

afterAll(async () => {
  await server?.kill();
  await dropDatabase(databaseUrl);
});

/** pino lines at error level or above, plus anything that reads like an error in plain text. */
function errorsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim())
    .filter((line) => {
      try {
        const entry = JSON.parse(line) as { level?: number };
        return (entry.level ?? 0) >= 50;
      } catch {
        return /error|exception|unhandled|fatal/i.test(line);
      }
    });
}

interface LoginOutcome {
  status?: number;
  error?: string;
  hasToken: boolean;
  finishedAt: number;
}

async function loginOverHttp(loginName: string, password: string): Promise<LoginOutcome> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: loginName, password }),
      signal: AbortSignal.timeout(SHUTDOWN_DEADLINE_MS + 5_000),
    });
    const body = (await response.json()) as { accessToken?: unknown };
    return { status: response.status, hasToken: typeof body.accessToken === 'string', finishedAt: performance.now() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? String(error), hasToken: false, finishedAt: performance.now() };
  }
}

const tally = (values: Array<string | number | undefined>) =>
  values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [String(value)]: (counts[String(value)] ?? 0) + 1 }), {});

describe('graceful shutdown (SIGTERM on the real server)', () => {
  it('finishes the in-flight logins, turns new requests away and exits 0 within 10 s without errors', async () => {
    const account = newAccountData();
    const registered = await fetch(`${baseUrl}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
      signal: AbortSignal.timeout(10_000),
    });
    expect(registered.status).toBe(201);

    // Warm-up: one login alone (its duration says how slow a login is), and as many idle
    // keep-alive connections as the burst needs, so the burst reaches the server at once.
    const single = await loginOverHttp(account.username, account.password);
    expect(single.status).toBe(200);
    await Promise.all(Array.from({ length: CONCURRENT_LOGINS }, () => fetch(`${baseUrl}/health/live`).then((r) => r.text())));

    const burstStarted = performance.now();
    const burstEpochMs = Date.now();
    const logins = Array.from({ length: CONCURRENT_LOGINS }, () => loginOverHttp(account.username, account.password));
    // Every request reaches the server and starts hashing (cost 12, libuv pool) before the signal.
    await sleep(SIGTERM_AFTER_MS);
    const sigtermAt = performance.now();
    const sigtermEpochMs = Date.now();
    expect(server!.child.kill('SIGTERM')).toBe(true);

    // A new request, on a new connection, once the server has had a moment to begin shutting
    // down (not waiting for the log line: stdout is flushed through the libuv pool, which the
    // hashing keeps busy): 503 or a refused connection, never served.
    await sleep(LATE_REQUEST_AFTER_MS);
    const late = await freshConnectionRequest(`${baseUrl}/health/live`, { timeoutMs: 5_000 }).then(
      (response) => String(response.status),
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );

    const results = await Promise.all(logins);
    const exit = await within(server!.exited, SHUTDOWN_DEADLINE_MS + 2_000);
    const firstFinished = Math.min(...results.map((r) => r.finishedAt));
    const lastFinished = Math.max(...results.map((r) => r.finishedAt));

    // One comparison, so a failure shows every symptom at once.
    expect({
      logins: tally(results.map((r) => r.status ?? r.error)),
      everyLoginGotAToken: results.every((r) => r.hasToken),
      lateRequestTurnedAway: late === '503' || late === 'ECONNREFUSED' ? true : `got ${late}`,
      exitCode: exit?.code,
      exitSignal: exit?.signal ?? null,
      exitedWithinDeadline: exit !== undefined && exit.at - sigtermAt < SHUTDOWN_DEADLINE_MS,
      errorLinesOnStdout: errorsIn(server!.stdout()),
      stderr: server!.stderr().trim(),
    }).toEqual({
      logins: { 200: CONCURRENT_LOGINS },
      everyLoginGotAToken: true,
      lateRequestTurnedAway: true,
      exitCode: 0,
      exitSignal: null,
      exitedWithinDeadline: true,
      errorLinesOnStdout: [],
      stderr: '',
    });
    // They really were in flight at SIGTERM: every burst login took longer than the delay before
    // the signal and was answered well after it, and the server's own request log says each one
    // had started (time - responseTime) before the signal.
    expect(firstFinished - burstStarted).toBeGreaterThan(SIGTERM_AFTER_MS + 200);
    expect(firstFinished - sigtermAt).toBeGreaterThan(200);
    expect(lastFinished - burstStarted).toBeGreaterThan(1_000);
    const loginLog = server!
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"route":"/api/v1/auth/login"'))
      .map((line) => JSON.parse(line) as { time: number; responseTime: number; res: { statusCode: number } });
    const burstLog = loginLog.filter((entry) => entry.time - entry.responseTime >= burstEpochMs - 5);
    const startedBeforeSignal = burstLog.filter((entry) => entry.time - entry.responseTime <= sigtermEpochMs + 5);
    expect(startedBeforeSignal.filter((entry) => entry.res.statusCode === 200)).toHaveLength(CONCURRENT_LOGINS);
    expect(exit!.at).toBeGreaterThanOrEqual(lastFinished - 50);
    expect(server!.stdout()).toContain('SIGTERM received: shutting down');
  }, 40_000);
});

describe('draining keep-alive connections (in-process app.close())', () => {
  it('lets an in-flight keep-alive request finish, then closes promptly instead of waiting out keep-alive', async () => {
    const app = await createAppWithEnv({ DATABASE_URL: process.env.TEST_DATABASE_URL });
    const port = await freePort();
    await app.listen(port, '127.0.0.1');
    const account = await registerAndLogin(app);
    const created = await app.inject({ method: 'POST', url: '/api/v1/tasks', headers: account.auth, payload: { title: 'slow write' } });
    expect(created.statusCode).toBe(201);

    // The in-flight request: a PATCH held behind a row lock, on a keep-alive connection as
    // browsers, proxies and load balancers keep them.
    const locker = await connectToTestDatabase();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let closing: Promise<number> | undefined;
    try {
      await locker.query('begin');
      await locker.query('select 1 from tasks where id = $1 for update', [created.json().id]);
      const inFlight = freshConnectionRequest(`http://127.0.0.1:${port}/api/v1/tasks/${created.json().id}`, {
        method: 'PATCH',
        body: { description: 'written while shutting down' },
        headers: account.auth,
        agent,
        timeoutMs: 10_000,
      });
      await sleep(300);
      closing = app.close().then(() => performance.now());
      await sleep(300);
      await locker.query('rollback');

      const response = await inFlight;
      const answeredAt = performance.now();
      expect(response.status).toBe(200);
      // Fastify's keepAliveTimeout is 72 s: a close waiting for the idle socket would blow far past this.
      const closedAt = await within(closing, 3_000);
      expect({ closedWithin3sOfTheAnswer: closedAt !== undefined && closedAt - answeredAt < 3_000 }).toEqual({
        closedWithin3sOfTheAnswer: true,
      });
    } finally {
      await locker.end();
      // The client lets go of its socket, so a close still waiting on it can finish.
      agent.destroy();
      await within<unknown>(closing ?? app.close(), 10_000);
    }
  }, 30_000);
});
