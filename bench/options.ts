import { parseArgs } from 'node:util';
import type { SeedSize } from './seed.js';

export interface Profile {
  mode: 'full' | 'smoke';
  size: SeedSize;
  /** Recorded A/B rounds per comparison, after one warm-up of each side. */
  rounds: number;
  seconds: number;
  warmUpSeconds: number;
  /** Concurrent connections of every closed-loop run (and concurrent bcrypt comparisons). */
  connections: number;
  /** Fixed rate of the GET list probe whose p99 is compared with and without logins. */
  probeRate: number;
  probeConnections: number;
  /** RSS of a fresh API process is read after the first and the second number of requests. */
  memoryCheckpoints: [number, number];
  /** Requests per route for the statement counts. */
  statementRequests: number;
  /** Run only these comparisons (ids), for working on one; empty: all. */
  only: string[];
}

const FULL: Profile = {
  mode: 'full',
  size: {
    users: 1_000, tasksPerUser: 100, heavyTasks: 100_000, deepRows: 50_000,
    sharedCategories: 10, sharedTasksPerCategory: 10_000, memberOwnTasks: 10_000, sharedDeepRows: [50, 5_000, 50_000],
  },
  rounds: 3,
  seconds: 6,
  warmUpSeconds: 3,
  connections: 10,
  probeRate: 100,
  probeConnections: 4,
  memoryCheckpoints: [10_000, 100_000],
  statementRequests: 50,
  only: [],
};

/** CI: tiny data and one short round; it proves the harness works, never that the API is fast. */
const SMOKE: Profile = {
  mode: 'smoke',
  size: {
    users: 20, tasksPerUser: 20, heavyTasks: 2_000, deepRows: 1_000,
    sharedCategories: 10, sharedTasksPerCategory: 30, memberOwnTasks: 30, sharedDeepRows: [50, 200],
  },
  rounds: 1,
  seconds: 1,
  warmUpSeconds: 0,
  connections: 4,
  probeRate: 50,
  probeConnections: 2,
  memoryCheckpoints: [200, 2_000],
  statementRequests: 5,
  only: [],
};

export const USAGE = `Usage: npm run bench [-- --smoke] [--rounds N] [--seconds S] [--only list,get,...]
  --smoke      tiny data, one short round (CI): fails only if the harness breaks
  --rounds N   recorded A/B rounds per comparison (full: ${FULL.rounds})
  --seconds S  seconds per side per round (full: ${FULL.seconds})
  --only ids   comparisons to run: list,sharedList,get,depth,login,loginLatency,registerFlood,create,idempotentCreate,update,trash,memory
  BENCH_DATABASE_URL  use this PostgreSQL (database name must contain "bench") instead of an embedded one`;

export function parseOptions(argv: string[]): Profile | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    return null;
  }
  const profile = { ...(values.smoke ? SMOKE : FULL) };
  const positive = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${text}`);
    return value;
  };
  profile.rounds = Math.round(positive('rounds', values.rounds, profile.rounds));
  profile.seconds = positive('seconds', values.seconds, profile.seconds);
  profile.only = values.only ? values.only.split(',').map((id) => id.trim()) : [];
  return profile;
}
