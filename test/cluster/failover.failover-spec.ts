import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, closeConnections, httpRequest, query, registerAndLogin, type Account } from './cluster.js';
import { emptyWriteRecord, runAcknowledgedWrites, type AcknowledgedWrites } from './acknowledged-writes.js';
import { HaCluster, type HaClusterInfo } from './ha-cluster.js';
import { pollUntil, sleep } from '../support/wait.js';

/**
 * `npm run test:failover`: deploy/ha-cluster.sh (etcd x3, Patroni x3 with synchronous replication,
 * HAProxy, PgBouncer, three API instances, HAProxy) on 127.0.0.1, under a write load of four
 * clients through the balancer. Needs PostgreSQL 15, patroni, etcd, pgbouncer and haproxy from
 * Debian; .ci/run installs them and runs it. Figures are printed at the end (docs/SCALING.md),
 * and appended as one JSON line to FAILOVER_REPORT_FILE when set.
 */
const WRITERS = 4;
const LOAD_BEFORE_MS = 3_000;
const LOAD_AFTER_MS = 3_000;
const PROMOTION_LIMIT_MS = 30_000;
const UNAVAILABLE = 'urn:tasktracker:problem:unavailable';

let cluster: HaCluster;
let info: HaClusterInfo;
let owner: Account;
const apiPids: number[] = [];
const figures: Record<string, Record<string, number | string>> = {};

beforeAll(async () => {
  cluster = await HaCluster.prepare();
  await cluster.run(['start'], 240_000);
  info = cluster.info();
  owner = await registerAndLogin(info.lbUrl);
  apiPids.push(...[1, 2, 3].map((n) => cluster.apiPid(n)));
}, 250_000);

afterAll(async () => {
  closeConnections();
  console.info(`failover figures:\n${JSON.stringify(figures, null, 2)}`);
  if (process.env.FAILOVER_REPORT_FILE) {
    appendFileSync(process.env.FAILOVER_REPORT_FILE, `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`);
  }
  await cluster?.run([process.env.CLUSTER_KEEP_STATE === '1' ? 'stop' : 'clean'], 90_000);
}, 100_000);

/** Every instance's readiness, polled until `stop` aborts: [instance][i] = {at, status}. */
async function watchReadiness(stop: AbortSignal): Promise<Array<Array<{ at: number; status: number }>>> {
  return Promise.all(
    info.apiUrls.map(async (url) => {
      const seen: Array<{ at: number; status: number }> = [];
      while (!stop.aborted) {
        const at = Date.now();
        const status = await httpRequest(`${url}/health/ready`, { timeoutMs: 3_000 }).then((r) => r.status, () => 0);
        seen.push({ at, status });
        await sleep(250);
      }
      return seen;
    }),
  );
}

interface Disruption {
  record: AcknowledgedWrites;
  readiness: Array<Array<{ at: number; status: number }>>;
  disruptedAt: number;
}

/** Four writers; `disrupt` runs after LOAD_BEFORE_MS and returns once the cluster has a new shape. */
async function underWriteLoad(titlePrefix: string, disrupt: (record: AcknowledgedWrites) => Promise<void>): Promise<Disruption> {
  const stop = new AbortController();
  const record = emptyWriteRecord();
  const readinessSeen = watchReadiness(stop.signal);
  const load = runAcknowledgedWrites(
    { baseUrl: info.lbUrl, token: owner.token, writers: WRITERS, titlePrefix, stop: stop.signal, maxWritesPerWriter: 2_000, retryBudgetMs: 60_000 },
    record,
  );
  let disruptedAt: number;
  try {
    await sleep(LOAD_BEFORE_MS);
    expect(record.acknowledged.size).toBeGreaterThan(0);
    disruptedAt = Date.now();
    await disrupt(record);
    await sleep(LOAD_AFTER_MS);
  } finally {
    stop.abort();
  }
  const [readiness] = await Promise.all([readinessSeen, load]);
  return { record, readiness, disruptedAt };
}

/** Waits until a write is acknowledged after `since`; returns when (ms since epoch). */
async function writesResumed(record: AcknowledgedWrites, since: number): Promise<number> {
  return pollUntil(async () => record.acknowledgedAt.find((at) => at > since), { timeoutMs: 30_000, intervalMs: 50, what: 'an acknowledged write' });
}

/** 0 lost, none twice, none applied unacknowledged; every refusal a 503 problem with Retry-After. */
async function expectEveryAcknowledgedWriteKept(titlePrefix: string, record: AcknowledgedWrites) {
  expect(record.abandoned).toEqual([]);
  const rows = await query<{ id: string; title: string }>(info.directPrimaryUrl, 'select id, title from tasks where title like $1', [`${titlePrefix} %`]);
  const stored = new Map(rows.map((row) => [row.title, row.id]));
  expect(rows.length).toBe(stored.size);
  expect(stored).toEqual(record.acknowledged);
  const unexpected = record.failures.filter((f) => f.status !== 503 || f.retryAfter !== '1' || f.problemType !== UNAVAILABLE);
  // On failure, the instances' error lines say what the API did not expect.
  expect({ unexpected, apiErrors: unexpected.length ? apiErrorLines() : [] }).toEqual({ unexpected: [], apiErrors: [] });
}

/** The instances' log lines at level error (50) or above: an unexpected error, a 500. */
function apiErrorLines(): string[] {
  return [1, 2, 3].flatMap((n) =>
    readFileSync(join(cluster.stateDir, 'logs', `api-${n}.log`), 'utf8')
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line)),
  );
}

function failureWindowMs(record: AcknowledgedWrites): number {
  const times = record.failures.map((f) => f.at);
  return times.length ? Math.max(...times) - Math.min(...times) : 0;
}

async function expectEveryInstanceReady() {
  for (const url of info.apiUrls) {
    await pollUntil(async () => ((await httpRequest(`${url}/health/ready`, { timeoutMs: 2_000 })).status === 200 ? true : undefined), {
      timeoutMs: 10_000,
      what: `${url} ready`,
    });
  }
  expect([1, 2, 3].map((n) => cluster.apiPid(n))).toEqual(apiPids);
}

describe('PgBouncer', () => {
  it('caps the server connections: 90 concurrent requests over three instances use at most 16 on the primary', async () => {
    const sampleConnections = async () =>
      Number(
        (await query<{ count: string }>(info.monitorPrimaryUrl, `select count(*) from pg_stat_activity where usename = 'tasktracker' and backend_type = 'client backend' and query not ilike 'listen %'`))[0]
          .count,
      );
    const requests = Array.from({ length: 90 }, (_, i) =>
      i % 3 === 0
        ? api(info.lbUrl, 'POST', '/tasks', { token: owner.token, body: { title: `pooled ${i}` } })
        : api(info.apiUrls[i % 3], 'GET', '/tasks?limit=5', { token: owner.token }),
    );
    const samples: number[] = [];
    const sampling = (async () => {
      for (let i = 0; i < 20; i++) {
        samples.push(await sampleConnections());
        await sleep(25);
      }
    })();
    const answers = await Promise.all(requests);
    await sampling;
    expect(answers.filter((answer) => answer.status >= 300)).toEqual([]);
    // PgBouncer's primary route holds 16; each instance's one LISTEN connection (DATABASE_LISTEN_URL,
    // straight to HAProxy) is left out of the count above.
    expect(Math.max(...samples)).toBeLessThanOrEqual(16);
    figures.pgbouncer = { concurrentRequests: 90, maxServerConnectionsOnPrimary: Math.max(...samples) };
  }, 60_000);
});

let killedNode: number;
let unplannedFailures: number;

describe('losing the primary', () => {
  it('SIGKILL of the primary node: a standby is promoted within 30 s, writes resume, 0 acknowledged writes lost, every refusal a 503', async () => {
    const before = (await cluster.leader())!;
    expect(before).toBeDefined();
    killedNode = before;
    let promotedAt = 0;
    const run = await underWriteLoad('failover', async () => {
      const killedAt = Date.now();
      await cluster.run(['kill-node', String(before)], 10_000);
      const leader = await pollUntil(async () => {
        const now = await cluster.leader();
        return now !== undefined && now !== before ? now : undefined;
      }, { timeoutMs: PROMOTION_LIMIT_MS, intervalMs: 250, what: 'a new primary' });
      promotedAt = Date.now();
      expect(leader).not.toBe(before);
      figures.failover = { promotedAfterMs: promotedAt - killedAt };
    });
    const resumedAt = await writesResumed(run.record, promotedAt - 1);
    await expectEveryAcknowledgedWriteKept('failover', run.record);
    expect(run.record.failures.length).toBeGreaterThan(0);
    unplannedFailures = run.record.failures.length;
    Object.assign(figures.failover, {
      writesResumedAfterMs: resumedAt - run.disruptedAt,
      acknowledgedWrites: run.record.acknowledged.size,
      failedRequests: run.record.failures.length,
      failureWindowMs: failureWindowMs(run.record),
      lostWrites: 0,
    });
    // Readiness: each instance said 503 while no primary was reachable, and 200 after, same process.
    for (const seen of run.readiness) {
      expect(seen.some((s) => s.at >= run.disruptedAt && s.status === 503)).toBe(true);
    }
    await expectEveryInstanceReady();
  }, 120_000);

  it('the killed primary, started again, rewinds and rejoins as a replica by itself; replica reads resume', async () => {
    const startedAt = Date.now();
    await cluster.run(['start-node', String(killedNode)], 20_000);
    await pollUntil(async () => ((await cluster.isReplica(killedNode)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 250, what: 'the old primary as a replica' });
    figures.rejoin = { replicaAfterMs: Date.now() - startedAt };
    // It follows the new primary's timeline: every write acknowledged through the failover is there.
    const expected = (await query<{ count: string }>(info.directPrimaryUrl, `select count(*) from tasks where title like 'failover %'`))[0].count;
    await pollUntil(async () => {
      const [row] = await query<{ count: string }>(info.nodeAppUrls[killedNode - 1], `select count(*) from tasks where title like 'failover %'`);
      return row.count === expected ? true : undefined;
    }, { timeoutMs: 10_000, what: 'the rejoined node caught up' });
    await pollUntil(async () => ((await cluster.upBehind('postgres_replicas')).includes(`node${killedNode}`) ? true : undefined), {
      timeoutMs: 10_000,
      what: 'HAProxy sending replica reads to the rejoined node',
    });
    expect((await cluster.upBehind('postgres_replicas')).length).toBe(2);
    // Lists read from the replicas (through PgBouncer's replica route): they answer again.
    for (let i = 0; i < 6; i++) {
      expect((await api(info.lbUrl, 'GET', '/tasks?limit=1', { token: owner.token })).status).toBe(200);
    }
  }, 90_000);
});

describe('a planned switchover', () => {
  it('hands the primary over with fewer failed requests than a failover, 0 lost', async () => {
    const before = (await cluster.leader())!;
    const run = await underWriteLoad('switchover', async () => {
      const startedAt = Date.now();
      await cluster.run(['switchover'], 60_000);
      await pollUntil(async () => {
        const now = await cluster.leader();
        return now !== undefined && now !== before ? now : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250, what: 'the new primary' });
      figures.switchover = { newPrimaryAfterMs: Date.now() - startedAt };
    });
    await expectEveryAcknowledgedWriteKept('switchover', run.record);
    Object.assign(figures.switchover, {
      acknowledgedWrites: run.record.acknowledged.size,
      failedRequests: run.record.failures.length,
      failureWindowMs: failureWindowMs(run.record),
      lostWrites: 0,
    });
    expect(run.record.failures.length).toBeLessThan(unplannedFailures);
    await pollUntil(async () => ((await cluster.isReplica(before)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 250, what: 'the old primary as a replica' });
    await expectEveryInstanceReady();
  }, 120_000);
});

describe('etcd losing members', () => {
  it('one member of three lost: nothing changes for the API (no failed request, same primary)', async () => {
    const before = await cluster.leader();
    const run = await underWriteLoad('etcd-one', async () => {
      await cluster.run(['kill-etcd', '1'], 10_000);
      // Longer than the leader key's ttl (15 s): the key must be renewed through the other two.
      await sleep(18_000);
    });
    await expectEveryAcknowledgedWriteKept('etcd-one', run.record);
    expect(run.record.failures).toEqual([]);
    expect(await cluster.leader()).toBe(before);
    expect(run.readiness.flat().filter((s) => s.status !== 200)).toEqual([]);
    figures.etcdOneLost = { acknowledgedWrites: run.record.acknowledged.size, failedRequests: 0 };
    await cluster.run(['start-etcd', '1'], 10_000);
  }, 90_000);

  it('two of three lost: the primary demotes itself (no primary anywhere), writes answer 503; back when etcd returns, 0 lost', async () => {
    await sleep(3_000); // the restarted member catches up first
    let demotedAfterMs = 0;
    const run = await underWriteLoad('etcd-two', async (record) => {
      const lostAt = Date.now();
      await cluster.run(['kill-etcd', '1'], 10_000);
      await cluster.run(['kill-etcd', '2'], 10_000);
      await pollUntil(async () => ((await cluster.leader()) === undefined ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, what: 'the primary demoted' });
      demotedAfterMs = Date.now() - lostAt;
      await sleep(2_000);
      expect(await cluster.leader()).toBeUndefined();
      const returnedAt = Date.now();
      await cluster.run(['start-etcd', '1'], 10_000);
      await cluster.run(['start-etcd', '2'], 10_000);
      await pollUntil(async () => cluster.leader(), { timeoutMs: 60_000, intervalMs: 250, what: 'a primary again' });
      await writesResumed(record, returnedAt);
    });
    await expectEveryAcknowledgedWriteKept('etcd-two', run.record);
    expect(run.record.failures.length).toBeGreaterThan(0);
    figures.etcdTwoLost = { demotedAfterMs, failedRequests: run.record.failures.length, acknowledgedWrites: run.record.acknowledged.size, lostWrites: 0 };
    await expectEveryInstanceReady();
  }, 150_000);
});

describe('through all of it', () => {
  it('no instance logged an unexpected error (no 500 on any route, no failed background round)', () => {
    expect(apiErrorLines()).toEqual([]);
  });
});
