import { Agent } from 'node:http';
import pg from 'pg';
import { newAccountData, registerAndLogin } from '../support/accounts.js';
import { dropDatabase, ensureDatabaseExists, withDatabaseName } from '../support/test-database.js';
import {
  connectToTestDatabase,
  createAppWithEnv,
  freePort,
  freshConnectionRequest,
  httpJson,
  pollUntil,
  sleep,
  spawnServer,
  within,
  type RawResponse,
  type ServerProcess,
} from './support.js';

/**
 * The real server (src/main.ts) in a child process, sent SIGTERM while requests keep coming, on
 * new connections and on kept-alive ones: readiness turns 503 at once, every request gets a
 * complete answer during the drain, none is reset; then the server stops accepting, finishes the
 * request in flight and exits 0 within the drain plus 10 s.
 */
const databaseUrl = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_shutdown');
const DRAIN_MS = 3_000;
const CLOSE_DEADLINE_MS = 10_000;
/** Requests sent before the signal, over this long, ending well before it... */
const REQUESTS_BEFORE = 18;
const BEFORE_WINDOW_MS = 600;
const SIGNAL_AFTER_MS = 1_000;
/**
 * ...and during the drain, from when the server says it is draining until this long before the
 * drain ends. A request whose timer fires later than that is not sent: the test process was held
 * up (a GC pause, a busy machine), and a request after the drain is not what this checks.
 */
const REQUESTS_DURING = 42;
const LAST_REQUEST_BEFORE_DRAIN_END_MS = 1_200;
const SEND_DEADLINE_BEFORE_DRAIN_END_MS = 300;
/** Fewer sent during the drain than this, and the run did not test the drain. */
const MIN_SENT_DURING = 30;

let server: ServerProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
  await ensureDatabaseExists(databaseUrl);
  server = await spawnServer({ DATABASE_URL: databaseUrl, SHUTDOWN_DRAIN_MS: String(DRAIN_MS) });
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

type ConnectionKind = 'new connection' | 'kept-alive, busy' | 'kept-alive, idle since before the signal';
const KINDS: ConnectionKind[] = ['new connection', 'kept-alive, busy', 'kept-alive, idle since before the signal'];

interface Outcome {
  kind: ConnectionKind;
  /** When it was sent and when its outcome was known (performance.now()). */
  sentAt: number;
  endedAt: number;
  status?: number;
  connection?: string;
  /** No HTTP answer: the socket error (ECONNRESET, ECONNREFUSED, socket hang up...). */
  error?: string;
}

async function outcomeOf(kind: ConnectionKind, sentAt: number, request: Promise<RawResponse>): Promise<Outcome> {
  try {
    const response = await request;
    return { kind, sentAt, endedAt: performance.now(), status: response.status, connection: String(response.headers.connection) };
  } catch (error) {
    return { kind, sentAt, endedAt: performance.now(), error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
}

const tally = (values: Array<string | number | undefined>) =>
  values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [String(value)]: (counts[String(value)] ?? 0) + 1 }), {});

describe('graceful shutdown (SIGTERM on the real server, SHUTDOWN_DRAIN_MS=3000)', () => {
  it('keeps serving through the drain with readiness 503, resets nothing, finishes the request in flight and exits 0', async () => {
    const account = newAccountData();
    const registered = await httpJson(baseUrl, 'POST', '/api/v1/auth/register', { body: account });
    expect(registered.statusCode).toBe(201);
    const loggedIn = await httpJson(baseUrl, 'POST', '/api/v1/auth/login', { body: { login: account.username, password: account.password } });
    const auth = { authorization: `Bearer ${(loggedIn.json() as { accessToken: string }).accessToken}` };
    const created = await httpJson(baseUrl, 'POST', '/api/v1/tasks', { body: { title: 'in flight at the end of the drain' }, headers: auth });
    const taskId = (created.json() as { id: string }).id;

    const busy = new Agent({ keepAlive: true });
    const idle = new Agent({ keepAlive: true });
    const locker = new pg.Client({ connectionString: databaseUrl });
    await locker.connect();
    try {
      // As many kept-alive connections as the idle-since-before-the-signal requests will need,
      // opened now and left idle: answers during the drain close the connections they used.
      const idleRequests = (REQUESTS_BEFORE + REQUESTS_DURING) / KINDS.length;
      await Promise.all(Array.from({ length: idleRequests }, () => freshConnectionRequest(`${baseUrl}/health/live`, { agent: idle })));
      await pollUntil(async () => (Object.values(idle.freeSockets).flat().length === idleRequests ? true : undefined), {
        timeoutMs: 2_000,
        intervalMs: 10,
        what: 'the idle kept-alive connections',
      });

      const send = (index: number) => {
        const kind = KINDS[index % KINDS.length];
        const agent = kind === 'new connection' ? undefined : kind === 'kept-alive, busy' ? busy : idle;
        return outcomeOf(kind, performance.now(), freshConnectionRequest(`${baseUrl}/api/v1/users/me`, { agent, headers: auth, timeoutMs: 10_000 }));
      };
      // Readiness, asked on new connections before the signal and all through the drain.
      const probeReadiness = () => outcomeOf('new connection', performance.now(), freshConnectionRequest(`${baseUrl}/health/ready`));
      const readinessBefore = await probeReadiness();

      const before = Array.from({ length: REQUESTS_BEFORE }, async (_, index) => {
        await sleep(index * (BEFORE_WINDOW_MS / (REQUESTS_BEFORE - 1)));
        return send(index);
      });
      await sleep(SIGNAL_AFTER_MS);
      expect(server!.child.kill('SIGTERM')).toBe(true);
      const signalledAt = performance.now();
      // The drain as the server sees it: from its log line on, every answer must close its connection.
      await pollUntil(async () => (server!.stdout().includes('SIGTERM received') ? true : undefined), {
        timeoutMs: 1_000,
        intervalMs: 5,
        what: 'the start of the drain in the server log',
      });
      const drainSeenAt = performance.now();
      const readinessDuring = [0, 400, 800, 1_200, 1_600].map((at) => sleep(at).then(probeReadiness));
      const lastSendAt = signalledAt + DRAIN_MS - LAST_REQUEST_BEFORE_DRAIN_END_MS;
      const during = Array.from({ length: REQUESTS_DURING }, async (_, index) => {
        await sleep(index * ((lastSendAt - drainSeenAt) / (REQUESTS_DURING - 1)));
        return performance.now() > signalledAt + DRAIN_MS - SEND_DEADLINE_BEFORE_DRAIN_END_MS ? undefined : send(REQUESTS_BEFORE + index);
      });

      // A request in flight when the drain ends: a PATCH on a kept-alive connection, sent early in
      // the drain (sent near its end, a busy machine made it late: refused, not held) and held
      // behind a row lock until the server has stopped accepting connections.
      await locker.query('begin');
      await locker.query('select 1 from tasks where id = $1 for update', [taskId]);
      const inFlight = outcomeOf(
        'kept-alive, busy',
        performance.now(),
        freshConnectionRequest(`${baseUrl}/api/v1/tasks/${taskId}`, { method: 'PATCH', body: { description: 'answered after the drain' }, headers: auth, agent: busy, timeoutMs: 15_000 }),
      );
      await pollUntil(async () => (server!.stdout().includes('Drain over') ? true : undefined), {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: 'the end of the drain in the server log',
      });
      const drainOverSeenAt = performance.now();
      await sleep(200);
      const afterDrain = await outcomeOf('new connection', performance.now(), freshConnectionRequest(`${baseUrl}/health/live`));
      const exitedBeforeTheAnswer = await within(server!.exited, 300);
      await locker.query('rollback');

      const sentBefore = await Promise.all(before);
      const sentDuring = (await Promise.all(during)).filter((outcome) => outcome !== undefined);
      const outcomes = [...sentBefore, ...sentDuring];
      const readiness = await Promise.all([readinessBefore, ...readinessDuring]);
      const held = await inFlight;
      const exit = await within(server!.exited, DRAIN_MS + CLOSE_DEADLINE_MS);
      const countOf = (kind: ConnectionKind) => outcomes.filter((outcome) => outcome.kind === kind).length;

      // One comparison, so a failure shows every symptom at once.
      expect({
        answers: tally(outcomes.map((outcome) => outcome.status ?? outcome.error)),
        answersByKind: Object.fromEntries(KINDS.map((kind) => [kind, tally(outcomes.filter((o) => o.kind === kind).map((o) => o.status ?? o.error))])),
        enoughSentDuringTheDrain: sentDuring.length >= MIN_SENT_DURING,
        keptAliveBeforeTheSignal: outcomes.filter((o) => o.kind !== 'new connection' && o.endedAt < signalledAt).every((o) => o.connection === 'keep-alive'),
        closedDuringTheDrain: sentDuring.every((o) => o.connection === 'close'),
        readiness: readiness.map((probe) => probe.status ?? probe.error),
        inFlightAtTheEndOfTheDrain: [held.status ?? held.error, held.connection],
        heldPastTheEndOfTheDrain: held.endedAt > drainOverSeenAt,
        newConnectionAfterTheDrain: afterDrain.status ?? afterDrain.error,
        stillRunningWhileTheRequestWasHeld: exitedBeforeTheAnswer === undefined,
        exitCode: exit?.code,
        exitSignal: exit?.signal ?? null,
        exitedWithinDrainPlus10s: exit !== undefined && exit.at - signalledAt < DRAIN_MS + CLOSE_DEADLINE_MS,
        errorLinesOnStdout: errorsIn(server!.stdout()),
        stderr: server!.stderr().trim(),
      }).toEqual({
        answers: { 200: outcomes.length },
        answersByKind: Object.fromEntries(KINDS.map((kind) => [kind, { 200: countOf(kind) }])),
        enoughSentDuringTheDrain: true,
        keptAliveBeforeTheSignal: true,
        closedDuringTheDrain: true,
        readiness: [200, 503, 503, 503, 503, 503],
        inFlightAtTheEndOfTheDrain: [200, 'close'],
        heldPastTheEndOfTheDrain: true,
        newConnectionAfterTheDrain: 'ECONNREFUSED',
        stillRunningWhileTheRequestWasHeld: true,
        exitCode: 0,
        exitSignal: null,
        exitedWithinDrainPlus10s: true,
        errorLinesOnStdout: [],
        stderr: '',
      });
      // The drain lasted SHUTDOWN_DRAIN_MS by the server's own clock.
      const logTime = (text: string) => (JSON.parse(server!.stdout().split('\n').find((line) => line.includes(text))!) as { time: number }).time;
      expect(logTime('Drain over') - logTime('SIGTERM received: shutting down')).toBeGreaterThanOrEqual(DRAIN_MS - 5);
    } finally {
      busy.destroy();
      idle.destroy();
      await locker.end();
    }
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
      expect(response.headers.connection).toBe('close');
      // The keep-alive timeout is 72 s: a close waiting for the idle socket would blow far past this.
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
