import { setTimeout as sleep } from 'node:timers/promises';
import { interleave, load, type Measurement, type Round } from './load.js';
import type { Profile } from './options.js';
import type { ServerProcess } from './processes.js';
import { FLOOD_ADDRESSES, type Route, type RequestSequence, type RequestStream } from './requests.js';

export interface Goal {
  kind: 'atLeast' | 'atMost';
  target: number;
}

export interface Context {
  profile: Profile;
  api: ServerProcess;
  baseline: ServerProcess;
  streams: Record<Route, RequestStream>;
  /** The bare bcrypt.compare loop (bench/bcrypt-loop.ts) for `seconds` at `concurrency`. */
  bcryptLoop: (seconds: number, concurrency: number) => Promise<Measurement>;
  /** Deletes the tasks POST created, so later scenarios see the seeded data. */
  removeCreatedTasks: () => Promise<void>;
  /** Subscribes every user to task.created (once), and removes those webhooks with their messages. */
  subscribeWebhooks: () => Promise<void>;
  unsubscribeWebhooks: () => Promise<void>;
  /** Takes every task out of the trash (a run can stop between a DELETE and its restore). */
  restoreTrashedTasks: () => Promise<void>;
  startApi: () => Promise<ServerProcess>;
  startBaseline: () => Promise<ServerProcess>;
  log: (line: string) => void;
}

type Side = (seconds: number) => Promise<Measurement>;

interface Comparison {
  id: string;
  title: string;
  /** What A and B are; the ratio is A over B. */
  labels: [string, string];
  ratioOf: 'req/s' | 'p99';
  goal: Goal;
  a: Side;
  b: Side;
  after?: () => Promise<void>;
}

export interface ComparisonResult extends Omit<Comparison, 'a' | 'b' | 'after'> {
  rounds: Round<Measurement>[];
  medianRatio: number;
}

export interface MemoryResult {
  checkpoints: Array<{ requests: number; rssBytes: number }>;
  /** The baseline's RSS under the same requests, for comparison (no goal). */
  baselineCheckpoints: Array<{ requests: number; rssBytes: number }>;
  ratio: number;
  goal: Goal;
  /** The API's RSS after all the requests, in MiB. */
  finalMiB: number;
  finalGoal: Goal;
}

const MIN_LOGIN_SECONDS = 2;
const atLeast = (target: number): Goal => ({ kind: 'atLeast', target });
const atMost = (target: number): Goal => ({ kind: 'atMost', target });

function comparisons(ctx: Context): Comparison[] {
  const { api, baseline, streams, profile } = ctx;
  const closedLoop = (server: ServerProcess, route: Route | RequestSequence): Side => (seconds) =>
    load(server.url, typeof route === 'string' ? streams[route] : route, { connections: profile.connections, seconds, pid: server.pid });
  // A login takes ~0.25 s of CPU: short smoke rounds would complete none.
  const loginSeconds = (seconds: number) => Math.max(seconds, MIN_LOGIN_SECONDS);
  // The latency probe: GET list at a fixed, modest rate, so its p99 shows interference, not queueing.
  const probe: Side = (seconds) =>
    load(api.url, streams.list, { connections: profile.probeConnections, overallRate: profile.probeRate, seconds });
  const probeDuringLogins: Side = async (seconds) => {
    const logins = closedLoop(api, 'login')(loginSeconds(seconds) + 1);
    await sleep(500); // logins are in flight before the probe starts and after it ends
    const measured = await probe(seconds);
    await logins;
    return measured;
  };
  // The flood: closed-loop registrations (cost-12 hashes) from 4 addresses; past the hashing cap
  // they answer 503 server-busy, which is the point, so 503 is an expected answer here.
  const probeDuringRegisterFlood: Side = async (seconds) => {
    const flood = load(api.url, streams.register, {
      connections: profile.connections, seconds: loginSeconds(seconds) + 1, accept: [503],
    });
    await sleep(500);
    const measured = await probe(seconds);
    const flooded = await flood;
    ctx.log(`    register flood: ${Object.entries(flooded.statuses ?? {}).map(([code, count]) => `${code}×${count}`).join(', ')}`);
    return measured;
  };
  const n = (value: number) => value.toLocaleString('en-US');
  const versusBaseline = (id: string, title: string, target: number, route: Route | RequestSequence, after?: () => Promise<void>): Comparison => ({
    id, title, labels: ['API', 'baseline'], ratioOf: 'req/s', goal: atLeast(target),
    a: closedLoop(api, route), b: closedLoop(baseline, route), after,
  });
  // Each side starts with every task out of the trash; the restore is not timed.
  const thenRestore = (side: Side): Side => async (seconds) => {
    const measured = await side(seconds);
    await ctx.restoreTrashedTasks();
    return measured;
  };
  // Every user gets a webhook for the idempotent creates (the API does not deliver in the benchmark: WEBHOOK_DISPATCH=false).
  const withWebhooks = (side: Side): Side => async (seconds) => {
    await ctx.subscribeWebhooks();
    return side(seconds);
  };
  const trash = versusBaseline(
    'trash', 'DELETE /api/v1/tasks/{id} then POST /api/v1/tasks/{id}/restore of the same task, alternating', 0.6, [streams.trash, streams.restore],
  );
  return [
    versusBaseline('list', `GET /api/v1/tasks?limit=50, ${n(profile.size.users)} users rotating`, 0.7, 'list'),
    versusBaseline(
      'sharedList',
      `GET /api/v1/tasks?limit=50&scope=all of a viewer of ${profile.size.sharedCategories} shared categories (${n(profile.size.sharedTasksPerCategory)} tasks each) with ${n(profile.size.memberOwnTasks)} tasks of their own: first page and pages ${profile.size.sharedDeepRows.map(n).join(', ')} rows deep in turn`,
      0.65, 'sharedList',
    ),
    versusBaseline('get', 'GET /api/v1/tasks/{id}', 0.75, 'get'),
    {
      id: 'depth',
      title: `GET /api/v1/tasks?limit=50 of the ${n(profile.size.heavyTasks)}-task user: page ${n(profile.size.deepRows)} rows deep vs first page`,
      labels: ['API deep page', 'API first page'], ratioOf: 'req/s', goal: atLeast(0.9),
      a: closedLoop(api, 'deepPage'), b: closedLoop(api, 'firstPage'),
    },
    {
      id: 'login', title: `POST /api/v1/auth/login vs bare bcrypt.compare, ${profile.connections} concurrent, cost 12`,
      labels: ['API login', 'bcrypt loop'], ratioOf: 'req/s', goal: atLeast(0.85),
      a: (seconds) => closedLoop(api, 'login')(loginSeconds(seconds)),
      b: (seconds) => ctx.bcryptLoop(loginSeconds(seconds), profile.connections),
    },
    {
      id: 'loginLatency', title: `p99 of GET /api/v1/tasks at ${profile.probeRate} req/s while logins saturate vs alone`,
      labels: ['list during logins', 'list alone'], ratioOf: 'p99', goal: atMost(2), a: probeDuringLogins, b: probe,
    },
    {
      id: 'registerFlood',
      title: `p99 of GET /api/v1/tasks at ${profile.probeRate} req/s while ${profile.connections} connections from ${FLOOD_ADDRESSES} addresses flood POST /auth/register vs alone`,
      labels: ['list during register flood', 'list alone'], ratioOf: 'p99', goal: atMost(2), a: probeDuringRegisterFlood, b: probe,
    },
    versusBaseline('create', 'POST /api/v1/tasks (with a category)', 0.65, 'create', ctx.removeCreatedTasks),
    {
      ...versusBaseline('idempotentCreate', 'POST /api/v1/tasks with an Idempotency-Key, every user subscribed to task.created (an outbox row per write)', 0.6, 'idempotentCreate'),
      a: withWebhooks(closedLoop(api, 'idempotentCreate')),
      b: withWebhooks(closedLoop(baseline, 'idempotentCreate')),
      after: async () => {
        await ctx.unsubscribeWebhooks();
        await ctx.removeCreatedTasks();
      },
    },
    versusBaseline('update', 'PATCH /api/v1/tasks/{id} (title, status, priority)', 0.65, 'update'),
    { ...trash, a: thenRestore(trash.a), b: thenRestore(trash.b) },
    versusBaseline('toggleRecurring', 'POST /api/v1/tasks/{id}/toggle of a daily task: the occurrence recorded, the due date moved on, the activity entry', 0.6, 'toggleRecurring'),
  ];
}

const format = (m: Measurement) =>
  `${m.rps.toFixed(0).padStart(6)} req/s p50 ${m.p50} ms p99 ${m.p99} ms${m.cpuMs === undefined ? '' : ` cpu ${m.cpuMs.toFixed(2)} ms/req`}`;

/** Every comparison (or those in --only): warm-up, then interleaved A/B rounds. */
export async function runComparisons(ctx: Context): Promise<ComparisonResult[]> {
  const { profile, log } = ctx;
  const results: ComparisonResult[] = [];
  for (const comparison of comparisons(ctx)) {
    if (profile.only.length && !profile.only.includes(comparison.id)) {
      continue;
    }
    log(`${comparison.id}: ${comparison.title}`);
    const seconds = (warmUp: boolean) => (warmUp ? profile.warmUpSeconds : profile.seconds);
    const { rounds, medianRatio } = await interleave(
      profile.rounds,
      profile.warmUpSeconds > 0,
      (warmUp) => comparison.a(seconds(warmUp)),
      (warmUp) => comparison.b(seconds(warmUp)),
      (a, b) => (comparison.ratioOf === 'p99' ? a.p99 / Math.max(b.p99, 1) : a.rps / b.rps),
      (round, i) => log(`  round ${i + 1}: A ${format(round.a)} | B ${format(round.b)} | ratio ${round.ratio.toFixed(2)}`),
    );
    await comparison.after?.();
    const { id, title, labels, ratioOf, goal } = comparison;
    results.push({ id, title, labels, ratioOf, goal, rounds, medianRatio });
  }
  return results;
}

/**
 * A fresh API process serves GET list and GET one, alternately; its VmRSS is read after the first
 * checkpoint (10,000 requests) and after the second (100,000 in all), each after a second of
 * idling. A fresh baseline process then serves the same requests, for the side-by-side figures.
 */
export async function runMemory(ctx: Context): Promise<MemoryResult | null> {
  const { profile, log } = ctx;
  if (profile.only.length && !profile.only.includes('memory')) {
    return null;
  }
  const [first, total] = profile.memoryCheckpoints;
  log(`memory: RSS of a fresh process after ${first.toLocaleString('en-US')} and ${total.toLocaleString('en-US')} requests`);
  const readMix: RequestStream = (i) => (i % 2 ? ctx.streams.list(i) : ctx.streams.get(i));
  const measure = async (start: () => Promise<ServerProcess>) => {
    const server = await start();
    try {
      const checkpoints: MemoryResult['checkpoints'] = [];
      for (const [amount, requests] of [[first, first], [total - first, total]]) {
        await load(server.url, readMix, { connections: profile.connections, amount });
        await sleep(1_000);
        const rssBytes = server.rss();
        checkpoints.push({ requests, rssBytes });
        log(`  ${server.name} after ${requests.toLocaleString('en-US')} requests: RSS ${(rssBytes / 2 ** 20).toFixed(1)} MiB`);
      }
      return checkpoints;
    } finally {
      await server.stop();
    }
  };
  const checkpoints = await measure(ctx.startApi);
  const baselineCheckpoints = await measure(ctx.startBaseline);
  return {
    checkpoints,
    baselineCheckpoints,
    ratio: checkpoints[1].rssBytes / checkpoints[0].rssBytes,
    goal: atMost(1.1),
    finalMiB: checkpoints[1].rssBytes / 2 ** 20,
    finalGoal: atMost(300),
  };
}
