/**
 * `npm run bench` / `npm run bench:smoke`: seeds PostgreSQL with SQL, starts the real API and a
 * bare Fastify + pg baseline (each in its own process), checks they answer alike, then loads
 * them in turns with autocannon and reports each goal of the performance issue. It exits
 * non-zero only when the harness itself fails, never because something is slow.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Measurement } from './load.js';
import { migrate, openDatabase, serverVersion, withClient, type BenchDatabase } from './database.js';
import { parseOptions, USAGE } from './options.js';
import { spawnScript, startProductionApi, startServer } from './processes.js';
import { describeMachine, judge, render, saveReport, type Report, type StatementComparison } from './report.js';
import { CREATED_TITLE_PREFIX, requestStreams, type Route } from './requests.js';
import { runComparisons, runMemory, type Context } from './scenarios.js';
import { seed } from './seed.js';
import { explainPages, profileStatements, type StatementProfile } from './statements.js';
import { verifyEquivalence } from './verify.js';

const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
const started = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}`);

/**
 * What both servers run with: production mode, quiet logs, a limiter that never says no, the
 * default pool (10 + 20 overflow), which the baseline sizes its pool from too.
 */
const serverEnvironment = (databaseUrl: string): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_ENV: 'production',
  DATABASE_URL: databaseUrl,
  MIGRATE_ON_START: 'false',
  LOG_LEVEL: process.env.BENCH_API_LOG_LEVEL ?? 'warn',
  RATE_LIMIT_PER_MINUTE: '1000000',
  // The register flood comes through "a proxy" at 127.0.0.1 from 4 addresses, and is not stopped
  // by the registration limit: what it measures is the password-hashing cap.
  TRUST_PROXY: '127.0.0.1',
  REGISTER_LIMIT_PER_HOUR: '1000000',
  DATABASE_POOL_SIZE: '10',
  DATABASE_MAX_OVERFLOW: '20',
});

/** The bcrypt loop child stays up across rounds; each message runs one saturation period. */
async function startBcryptLoop(cost: number) {
  const child = spawnScript('bench/bcrypt-loop.ts', [String(cost)], process.env);
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bcrypt loop exited with ${code}`)));
  });
  return {
    run: (seconds: number, concurrency: number) =>
      new Promise<Measurement>((resolve) => {
        child.once('message', (result: Measurement) => resolve(result));
        child.send({ seconds, concurrency });
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** Routes whose statements are counted, and whether the API may send more than the baseline (reads: reported only). */
const STATEMENT_ROUTES: Array<[Route, string, boolean]> = [
  ['list', 'GET /api/v1/tasks?limit=50', false],
  ['sharedList', 'GET /api/v1/tasks?limit=50&scope=all, 10 categories shared with the caller', false],
  ['get', 'GET /api/v1/tasks/{id}', false],
  ['create', 'POST /api/v1/tasks', true],
  ['idempotentCreate', 'POST /api/v1/tasks with an Idempotency-Key', true],
  ['update', 'PATCH /api/v1/tasks/{id}', true],
  // The same tasks: what DELETE moved to the trash, restore brings back.
  ['trash', 'DELETE /api/v1/tasks/{id}', true],
  ['restore', 'POST /api/v1/tasks/{id}/restore', true],
  ['toggleRecurring', 'POST /api/v1/tasks/{id}/toggle of a recurring task', true],
];

async function main(): Promise<void> {
  const profile = parseOptions(process.argv.slice(2));
  if (!profile) {
    console.log(USAGE);
    return;
  }
  const startedAt = new Date().toISOString();
  const stack: Array<() => Promise<unknown> | unknown> = []; // torn down in reverse, whatever happens
  try {
    const database: BenchDatabase = await openDatabase(log);
    stack.push(() => database.stop());
    const machine = describeMachine(await serverVersion(database.url));
    log(`${profile.mode} run on ${machine.cpus} CPUs (${machine.cpuModel}), PostgreSQL ${machine.postgres}, load average ${machine.loadAverageAtStart.join(' ')}`);
    await migrate(database.url);
    const seedStarted = Date.now();
    const fixture = await withClient(database.url, (client) => seed(client, profile.size));
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    log(`seeded ${fixture.users.length + 1} users, ${fixture.tasks} tasks in ${seedSeconds.toFixed(1)} s`);
    const listPlans = await explainPages(database.url, fixture);
    listPlans.forEach((p) => log(`list query, ${p.page}: ${p.executionMs.toFixed(1)} ms: ${p.plan}`));

    const startApi = async () => {
      const server = await startProductionApi({
        ...serverEnvironment(database.url),
        SHUTDOWN_DRAIN_MS: '0',
        // Messages are queued in the write as always; delivering them is another instance's work here.
        WEBHOOK_DISPATCH: 'false',
        // e.g. BENCH_API_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=bench/results' profiles the API
        NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS ?? process.env.NODE_OPTIONS,
      });
      stack.push(() => server.stop());
      return server;
    };
    const startBaseline = async () => {
      const server = await startServer('baseline', 'bench/baseline-server.ts', serverEnvironment(database.url));
      stack.push(() => server.stop());
      return server;
    };
    const [api, baseline] = [await startApi(), await startBaseline()];
    const bcrypt = await startBcryptLoop(fixture.bcryptCost);
    stack.push(() => bcrypt.stop());
    log(`API pid ${api.pid} at ${api.url}, baseline pid ${baseline.pid} at ${baseline.url}`);

    const streams = requestStreams(fixture);
    const removeCreatedTasks = () =>
      withClient(database.url, async (client) => {
        await client.query(`delete from tasks where title like '${CREATED_TITLE_PREFIX}%'`);
        await client.query('vacuum analyze tasks');
      });
    const BENCH_WEBHOOK_URL = 'http://127.0.0.1:9/bench';
    const subscribeWebhooks = () =>
      withClient(database.url, async (client) => {
        await client.query(
          `insert into webhooks (id, user_id, url, events, secret)
           select gen_random_uuid(), u.id, $1::text, '{task.created}', 'whsec_' || encode(decode(md5(random()::text), 'hex'), 'base64')
             from users u where not exists (select 1 from webhooks w where w.user_id = u.id and w.url = $1::text)`,
          [BENCH_WEBHOOK_URL],
        );
      });
    const unsubscribeWebhooks = () => withClient(database.url, (client) => client.query('delete from webhooks where url = $1', [BENCH_WEBHOOK_URL]).then(() => undefined));
    const restoreTrashedTasks = () =>
      withClient(database.url, async (client) => {
        // Requests still running when the load stopped (a DELETE whose restore never came) end first.
        await sleep(200);
        for (let waited = 0; waited < 5_000; waited += 100) {
          const { rows: [{ busy }] } = await client.query<{ busy: number }>(
            `select count(*)::int as busy from pg_stat_activity
              where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
          );
          if (busy === 0) break;
          await sleep(100);
        }
        await client.query('update tasks set deleted_at = null where deleted_at is not null');
      });
    const verification = await verifyEquivalence(api.url, baseline.url, fixture, streams);
    verification.forEach((check) => log(`verified: ${check}`));
    await removeCreatedTasks();

    let statements: StatementComparison[] | string = 'Statement counts skipped: pg_stat_statements is not loaded in this server.';
    if (database.statementStats) {
      statements = await withClient(database.url, async (admin) => {
        // Each side runs every route in turn, so its restores find the tasks its DELETEs trashed.
        const n = profile.statementRequests;
        const count = async (url: string, firstIndex: number) => {
          const profiles: StatementProfile[] = [];
          for (const [route] of STATEMENT_ROUTES) {
            profiles.push(await profileStatements(admin, url, streams[route], n, firstIndex));
          }
          return profiles;
        };
        const [apiProfiles, baselineProfiles] = [await count(api.url, 1_000_000), await count(baseline.url, 2_000_000)];
        return STATEMENT_ROUTES.map(([, label, hasGoal], i): StatementComparison => {
          log(`statements per request, ${label}: API ${apiProfiles[i].perRequest}, baseline ${baselineProfiles[i].perRequest}`);
          return { route: label, api: apiProfiles[i], baseline: baselineProfiles[i], ...(hasGoal && { goal: { kind: 'atMost', target: 0 } }) };
        });
      });
      await removeCreatedTasks();
    }

    const context: Context = {
      profile, api, baseline, streams, log, removeCreatedTasks, restoreTrashedTasks, subscribeWebhooks, unsubscribeWebhooks,
      bcryptLoop: bcrypt.run,
      startApi,
      startBaseline,
    };
    const comparisons = await runComparisons(context);
    await Promise.all([api.stop(), baseline.stop()]); // the memory check gets the machine to itself
    const memory = await runMemory(context);

    const report: Report = {
      mode: profile.mode,
      startedAt,
      seconds: (Date.now() - started) / 1000,
      machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100) },
      database: database.description,
      seed: { users: fixture.users.length + 1, tasks: fixture.tasks, seconds: seedSeconds },
      listPlans,
      verification,
      statements,
      comparisons,
      memory,
      goals: judge(comparisons, memory, statements),
    };
    console.log(`\n${render(report)}\n`);
    log(`results written to ${saveReport(report, RESULTS_DIR)}`);
  } finally {
    for (const teardown of stack.reverse()) {
      await Promise.resolve()
        .then(teardown)
        .catch((error: unknown) => console.error(`[bench] teardown: ${String(error)}`));
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
