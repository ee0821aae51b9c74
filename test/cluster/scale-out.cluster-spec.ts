import { readFileSync } from 'node:fs';
import pg from 'pg';
import {
  api,
  closeConnections,
  Cluster,
  haproxyServers,
  idleConnectionAfter,
  processExists,
  query,
  registerAndLogin,
  type Account,
  type ClusterInfo,
} from './cluster.js';
import { pollUntil, sleep } from '../support/wait.js';
import { runWriteLoad, type WriteOutcome } from './write-load.js';

/**
 * `npm run test:cluster`: the deployment of deploy/ (PostgreSQL primary + streaming replica, three
 * API instances, HAProxy) on 127.0.0.1, driven over HTTP like a client would. It needs the
 * PostgreSQL 15 server binaries, haproxy and Redis; .ci/run runs it when they are there.
 */
const LOAD = { writers: 4, durationMs: 20_000, maxRequestsPerWriter: 4_000 };
const KILL_AFTER_MS = 4_000;
const KILLED_INSTANCE = 2;
/** Requests sent this long after kill() returned may still have reached the dying process. */
const KILL_WINDOW_MS = 250;

let cluster: Cluster;
let info: ClusterInfo;
let owner: Account;
/** Measured figures, printed once at the end (docs/SCALING.md quotes them). */
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  cluster = await Cluster.prepare();
  await cluster.run(['start'], 150_000);
  info = cluster.info();
  owner = await registerAndLogin(info.lbUrl);
}, 160_000);

afterAll(async () => {
  closeConnections();
  console.info(`cluster figures:\n${JSON.stringify(figures, null, 2)}`);
  // `stop` keeps the logs and data for a look (CLUSTER_KEEP_STATE=1); `clean` removes them.
  await cluster?.run([process.env.CLUSTER_KEEP_STATE === '1' ? 'stop' : 'clean'], 60_000);
}, 70_000);

const tasksScansOn = async (monitorUrl: string) => {
  const [row] = await query<{ scans: string }>(
    monitorUrl,
    `select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) as scans from pg_stat_user_tables where relname = 'tasks'`,
  );
  return Number(row.scans);
};

/** How long until a task committed through the API can be read on the replica. */
async function replicaVisibilityMs(replica: pg.Client, title: string): Promise<number> {
  const created = await api(info.lbUrl, 'POST', '/tasks', { token: owner.token, body: { title } });
  expect(created.status).toBe(201);
  const acknowledgedAt = performance.now();
  await pollUntil(
    async () => ((await replica.query('select 1 from tasks where id = $1', [created.body.id])).rowCount ? true : undefined),
    { timeoutMs: 5_000, intervalMs: 1, what: 'the task on the replica' },
  );
  return performance.now() - acknowledgedAt;
}

describe('reads from the replica', () => {
  // First of all: nothing has read the tasks table yet, so no statistics are still pending from
  // earlier requests on either server.
  it('serve task lists and stats from the replica, not the primary', async () => {
    const lists = 30;
    const stats = 10;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(String((await api(info.lbUrl, 'POST', '/tasks', { token: owner.token, body: { title: `listed ${i}` } })).body.id));
    }
    await pollUntil(async () => {
      const [row] = await query<{ count: string }>(info.replicaReaderUrl, 'select count(*) from tasks where id = any($1::uuid[])', [ids]);
      return Number(row.count) === ids.length ? true : undefined;
    }, { timeoutMs: 5_000, what: 'the tasks on the replica' });
    // Each create read the end of its list on the primary (the new task's position): let those
    // counters be published (up to about 10 s after a backend goes idle) before counting.
    await sleep(11_000);
    const replicaBefore = await tasksScansOn(info.monitorReplicaUrl);
    const primaryBefore = await tasksScansOn(info.monitorPrimaryUrl);
    for (let i = 0; i < lists; i++) {
      const page = await api(info.lbUrl, 'GET', '/tasks?limit=5&includeTotal=true', { token: owner.token });
      expect(page.status).toBe(200);
      expect([(page.body.items as unknown[]).length, page.body.total]).toEqual([5, 5]);
    }
    for (let i = 0; i < stats; i++) {
      const counts = await api(info.lbUrl, 'GET', '/tasks/stats', { token: owner.token });
      expect([counts.status, counts.body.total]).toEqual([200, 5]);
    }
    // A backend publishes its table counters up to about 10 s after going idle (PostgreSQL 15):
    // wait for the replica's, then long enough for the primary's to have shown up too.
    await pollUntil(
      async () => ((await tasksScansOn(info.monitorReplicaUrl)) - replicaBefore >= lists + stats ? true : undefined),
      { timeoutMs: 15_000, intervalMs: 250, what: 'table scans on the replica' },
    );
    await sleep(11_000);
    const replicaDelta = (await tasksScansOn(info.monitorReplicaUrl)) - replicaBefore;
    const primaryDelta = (await tasksScansOn(info.monitorPrimaryUrl)) - primaryBefore;
    figures.replicaReads = { requests: lists + stats, tasksScansOnReplica: replicaDelta, tasksScansOnPrimary: primaryDelta };
    expect(primaryDelta).toBe(0);
  }, 60_000);
});

describe('PostgreSQL streaming replication', () => {
  it('streams from the primary through its slot, and committed rows reach the replica', async () => {
    const [sender] = await query<{ state: string; sync_state: string; slot_active: boolean }>(
      info.monitorPrimaryUrl,
      `select r.state, r.sync_state, s.active as slot_active
         from pg_stat_replication r join pg_replication_slots s on s.active_pid = r.pid`,
    );
    expect(sender).toEqual({ state: 'streaming', sync_state: 'async', slot_active: true });
    const [standby] = await query<{ in_recovery: boolean }>(info.monitorReplicaUrl, 'select pg_is_in_recovery() as in_recovery');
    expect(standby.in_recovery).toBe(true);

    const replica = new pg.Client({ connectionString: info.replicaReaderUrl, connectionTimeoutMillis: 5_000 });
    await replica.connect();
    try {
      const lags: number[] = [];
      for (let i = 0; i < 20; i++) {
        lags.push(await replicaVisibilityMs(replica, `replication probe ${i}`));
      }
      lags.sort((a, b) => a - b);
      figures.replicaVisibilityMs = { median: lags[10].toFixed(1), max: lags[19].toFixed(1), samples: lags.length };
      // The replica is read-only: the reader role cannot write there, whatever its grants.
      await expect(replica.query(`update tasks set title = 'x' where false`)).rejects.toThrow(/read-only|permission denied/);
    } finally {
      await replica.end();
    }
  }, 60_000);
});

describe('stateless API instances', () => {
  it('accept on every instance a session made on one, and a logout on one ends it on all', async () => {
    const [first, second, third] = info.apiUrls;
    const account = await registerAndLogin(first);
    for (const instance of [first, second, third]) {
      const me = await api(instance, 'GET', '/users/me', { token: account.token });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(account.id);
    }
    expect((await api(third, 'POST', '/auth/logout', { token: account.token })).status).toBe(204);
    for (const instance of [first, second]) {
      expect((await api(instance, 'GET', '/users/me', { token: account.token })).status).toBe(401);
    }
  }, 30_000);

  it('read back at once, through another instance, what one instance wrote', async () => {
    const [first, second, third] = info.apiUrls;
    for (let i = 0; i < 10; i++) {
      const created = await api(first, 'POST', '/tasks', { token: owner.token, body: { title: `written on api-1 #${i}` } });
      expect(created.status).toBe(201);
      const readBack = await api(second, 'GET', `/tasks/${created.body.id}`, { token: owner.token });
      expect(readBack.status).toBe(200);
      expect(readBack.body.title).toBe(`written on api-1 #${i}`);

      const updated = await api(third, 'PATCH', `/tasks/${created.body.id}`, { token: owner.token, body: { status: 'completed' } });
      expect(updated.status).toBe(200);
      expect((await api(first, 'GET', `/tasks/${created.body.id}`, { token: owner.token })).body.status).toBe('completed');
    }
  }, 30_000);
});

describe(`SIGKILL of API instance ${KILLED_INSTANCE} under a steady write load through HAProxy`, () => {
  it('loses no acknowledged write, and the restarted instance takes traffic again', async () => {
    const timeline: Record<string, number> = {};
    const started = Date.now();
    const chaos = async () => {
      await sleep(KILL_AFTER_MS);
      // SIGKILL, not SIGTERM: a crash, an OOM kill or a lost host gives the instance no chance to
      // drain, so only HAProxy's retries and health checks stand between the client and an error.
      // (The graceful SIGTERM path is test/faults/shutdown.e2e-spec.ts.)
      process.kill(cluster.apiPid(KILLED_INSTANCE), 'SIGKILL');
      timeline.killedAt = Date.now() - started;
      await pollUntil(
        async () => ((await haproxyServers(info.statsUrl))[`api${KILLED_INSTANCE}`].status.startsWith('DOWN') ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 50, what: 'HAProxy to mark the instance DOWN' },
      );
      timeline.markedDownAt = Date.now() - started;
      // Like a supervisor: restart once the process has exited.
      const pid = cluster.apiPid(KILLED_INSTANCE);
      await pollUntil(async () => (processExists(pid) ? undefined : true), {
        timeoutMs: 5_000,
        intervalMs: 20,
        what: 'the killed process to exit',
      });
      await cluster.run(['start-api', String(KILLED_INSTANCE)], 60_000);
      timeline.restartedAt = Date.now() - started;
      const back = await pollUntil(async () => {
        const server = (await haproxyServers(info.statsUrl))[`api${KILLED_INSTANCE}`];
        return server.status === 'UP' ? server : undefined;
      }, { timeoutMs: 15_000, intervalMs: 50, what: 'HAProxy to mark the instance UP' });
      timeline.markedUpAt = Date.now() - started;
      return back.sessions;
    };
    const [outcomes, sessionsWhenBack] = await Promise.all([runWriteLoad({ baseUrl: info.lbUrl, token: owner.token, ...LOAD }), chaos()]);
    const elapsed = Date.now() - started;
    const servers = await haproxyServers(info.statsUrl);

    const acknowledged = outcomes.filter((outcome) => outcome.status === 201);
    const failed = outcomes.filter((outcome) => outcome.status !== 201);
    // Every 201 is a row on the primary: no acknowledged write was lost.
    const ids = acknowledged.map((outcome) => outcome.id!);
    const [onPrimary] = await query<{ count: string }>(info.primaryUrl, 'select count(*) from tasks where id = any($1::uuid[])', [ids]);
    // A failed request's outcome is unknown to its client: see which of them did commit.
    const committedDespiteFailure = failed.length
      ? Number((await query<{ count: string }>(info.primaryUrl, 'select count(*) from tasks where title = any($1)', [failed.map((f) => f.title)]))[0].count)
      : 0;
    // And the replica catches up with all of them.
    const caughtUpAfterMs = await replicaCatchUpMs(ids);

    figures.killUnderLoad = {
      signal: 'SIGKILL',
      writers: LOAD.writers,
      durationMs: elapsed,
      requests: outcomes.length,
      acknowledged: acknowledged.length,
      acknowledgedOnPrimary: Number(onPrimary.count),
      failed: failed.map(describeFailure(timeline.killedAt + started)),
      committedDespiteFailure,
      writesPerSecond: Math.round(acknowledged.length / (elapsed / 1000)),
      timelineMs: timeline,
      haproxy: servers,
      replicaCaughtUpAfterMs: caughtUpAfterMs,
    };

    expect(Number(onPrimary.count)).toBe(acknowledged.length);
    expect(acknowledged.length).toBeGreaterThan(100);
    // Only a request already sent to the killed instance can fail: HAProxy cannot know whether it
    // ran (one of them may well have committed), so it does not retry it (retry-on conn-failure
    // only), and the client sees a 502 or a reset connection. That is the request each writer had
    // in flight, and at most one more sent over a kept-alive connection to the instance in the
    // milliseconds before HAProxy saw it go. Every failure falls around the kill: none while the
    // instance was down or coming back. The window allows for the kernel tearing the process down
    // after kill() returns.
    expect(failed.length).toBeLessThanOrEqual(2 * LOAD.writers);
    const killedAt = started + timeline.killedAt;
    for (const failure of failed) {
      expect(failure.startedAt).toBeLessThan(killedAt + KILL_WINDOW_MS);
      expect(failure.endedAt).toBeLessThan(killedAt + KILL_WINDOW_MS + 1_000);
    }
    // The restarted instance is back in rotation and serving.
    expect(servers[`api${KILLED_INSTANCE}`].status).toBe('UP');
    expect(servers[`api${KILLED_INSTANCE}`].sessions).toBeGreaterThan(sessionsWhenBack);
  }, 90_000);
});

function describeFailure(killedAt: number) {
  return (outcome: WriteOutcome) => ({
    status: outcome.status ?? outcome.error,
    startedMsBeforeKill: killedAt - outcome.startedAt,
    endedMsAfterKill: outcome.endedAt - killedAt,
  });
}

async function replicaCatchUpMs(ids: string[]): Promise<number> {
  const started = performance.now();
  await pollUntil(async () => {
    const [row] = await query<{ count: string }>(info.replicaReaderUrl, 'select count(*) from tasks where id = any($1::uuid[])', [ids]);
    return Number(row.count) === ids.length ? true : undefined;
  }, { timeoutMs: 15_000, intervalMs: 50, what: 'every acknowledged write on the replica' });
  return Math.round(performance.now() - started);
}

describe('rolling restart: each instance in turn gets SIGTERM and is started again, under a write load through HAProxy', () => {
  it('fails no request: HAProxy takes each draining instance out before it stops accepting', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const steps: Array<Record<string, number | string>> = [];
    const restartAll = async () => {
      try {
        await sleep(2_000);
        for (const instance of [1, 2, 3]) {
          const name = `api${instance}`;
          const pid = cluster.apiPid(instance);
          const sigtermAt = Date.now();
          const restarting = cluster.run(['restart-api', String(instance)], 90_000);
          // The draining instance still runs while HAProxy marks it DOWN.
          const markedDownAt = await pollUntil(
            async () => (/^(DOWN|NOLB)/.test((await haproxyServers(info.statsUrl))[name].status) ? Date.now() : undefined),
            { timeoutMs: 15_000, intervalMs: 50, what: `HAProxy to mark ${name} DOWN` },
          );
          const runningWhenMarkedDown = processExists(pid);
          const exitedAt = await pollUntil(async () => (processExists(pid) ? undefined : Date.now()), {
            timeoutMs: 20_000,
            intervalMs: 20,
            what: `${name} to exit`,
          });
          await restarting;
          const readyAt = Date.now();
          const upAt = await pollUntil(async () => ((await haproxyServers(info.statsUrl))[name].status === 'UP' ? Date.now() : undefined), {
            timeoutMs: 15_000,
            intervalMs: 50,
            what: `HAProxy to mark ${name} UP`,
          });
          steps.push({
            instance,
            markedDownMsAfterSigterm: markedDownAt - sigtermAt,
            runningWhenMarkedDown: String(runningWhenMarkedDown),
            exitedMsAfterSigterm: exitedAt - sigtermAt,
            readyMsAfterSigterm: readyAt - sigtermAt,
            upMsAfterSigterm: upAt - sigtermAt,
          });
        }
        await sleep(2_000);
      } finally {
        stop.abort();
      }
    };
    const [outcomes] = await Promise.all([
      runWriteLoad({ baseUrl: info.lbUrl, token: owner.token, writers: LOAD.writers, durationMs: 150_000, maxRequestsPerWriter: 20_000, stop: stop.signal }),
      restartAll(),
    ]);
    const elapsed = Date.now() - started;
    const acknowledged = outcomes.filter((outcome) => outcome.status === 201);
    const failed = outcomes.filter((outcome) => outcome.status !== 201);
    const [onPrimary] = await query<{ count: string }>(info.primaryUrl, 'select count(*) from tasks where id = any($1::uuid[])', [acknowledged.map((o) => o.id!)]);
    const servers = await haproxyServers(info.statsUrl);
    figures.rollingRestart = {
      signal: 'SIGTERM',
      writers: LOAD.writers,
      durationMs: elapsed,
      requests: outcomes.length,
      acknowledged: acknowledged.length,
      acknowledgedOnPrimary: Number(onPrimary.count),
      failed: failed.map((f) => ({ status: f.status ?? f.error, startedMsAfterStart: f.startedAt - started })),
      steps,
      haproxy: servers,
    };

    expect({
      failed: failed.length,
      everyInstanceRestarted: steps.length,
      markedDownWhileStillRunning: steps.every((step) => step.runningWhenMarkedDown === 'true'),
      allUp: Object.values(servers).every((server) => server.status === 'UP'),
    }).toEqual({ failed: 0, everyInstanceRestarted: 3, markedDownWhileStillRunning: true, allUp: true });
    expect(Number(onPrimary.count)).toBe(acknowledged.length);
    expect(acknowledged.length).toBeGreaterThan(100);
  }, 180_000);
});

describe('keep-alive behind HAProxy', () => {
  it('advertises the idle timeout HAProxy enforces, and HAProxy closes no earlier: a client following it never sends on a closing connection', async () => {
    const configured = Number(/timeout http-keep-alive (\d+)s/.exec(readFileSync('deploy/haproxy.cfg', 'utf8'))?.[1]);
    const idle = await idleConnectionAfter(info.lbUrl, '/health/live', configured * 1_000 + 5_000);
    expect(idle.head).toMatch(/^HTTP\/1\.1 200 /);
    // Not the instance's own hint (72 s) passed through: the time this proxy keeps the connection.
    const advertised = Number(/\r\nkeep-alive: timeout=(\d+)/i.exec(idle.head)?.[1]);
    expect(advertised).toBe(configured);
    expect(idle.closedAfterMs).toBeGreaterThanOrEqual(advertised * 1_000 - 50);
    figures.balancerKeepAlive = { advertisedS: advertised, closedAfterMs: Math.round(idle.closedAfterMs!) };
  }, 20_000);
});

// Last: it spends the test client's (127.0.0.1's) registration budget for the rest of the hour.
describe('client address behind HAProxy', () => {
  const REGISTER_LIMIT_PER_HOUR = 20; // deploy/cluster.sh's default
  const INSTANCES = 3;
  const forged = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
  const clientRows = () =>
    query<{ key: string; failures: number }>(info.primaryUrl, `select key, failures from login_throttles where key like 'client:%' order by key`);

  it('is the connection source: forged leading X-Forwarded-For entries are not what the API counts', async () => {
    const before = (await clientRows()).find((row) => row.key === 'client:127.0.0.1')?.failures ?? 0;
    for (let i = 1; i <= 5; i++) {
      const failed = await api(info.lbUrl, 'POST', '/auth/login', { body: { login: `nobody_${i}`, password: 'wrong' }, headers: forged(i) });
      expect(failed.status).toBe(401);
    }
    // HAProxy replaced the header with the real source; only the test client's address was counted.
    expect(await clientRows()).toEqual([{ key: 'client:127.0.0.1', failures: before + 5 }]);
  });

  it('puts requests with fresh forged addresses in one budget: registrations reach 429', async () => {
    // Each instance counts alone without Redis: at most INSTANCES times the limit gets through.
    const statuses: number[] = [];
    for (let i = 1; i <= REGISTER_LIMIT_PER_HOUR * INSTANCES + 1 && !statuses.includes(429); i++) {
      const attempt = await api(info.lbUrl, 'POST', '/auth/register', { body: {}, headers: forged(100 + i) });
      statuses.push(attempt.status);
      if (attempt.status === 429) {
        expect(attempt.body).toMatchObject({ type: 'urn:tasktracker:problem:too-many-registrations' });
      }
    }
    figures.registrationsBefore429 = statuses.length - 1;
    expect(statuses.at(-1)).toBe(429);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([400]));
  });
});
