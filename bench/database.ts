import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { createOrmConfig } from '../mikro-orm.config.js';
import { startEmbeddedDatabase } from '../src/database/embedded-database.js';
import { freePort } from '../test/support/free-port.js';

export interface BenchDatabase {
  url: string;
  /** For the report: where the data lives, without the password. */
  description: string;
  /** pg_stat_statements is loaded and installed: statement counts can be measured. */
  statementStats: boolean;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'tasktracker_bench';

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Installs pg_stat_statements in the database when the server preloads it; false otherwise. */
async function enableStatementStats(url: string): Promise<boolean> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ loaded: boolean }>(
      `select 'pg_stat_statements' = any(string_to_array(current_setting('shared_preload_libraries'), ', ')) as loaded`,
    );
    if (!rows[0].loaded) {
      return false;
    }
    await client.query('create extension if not exists pg_stat_statements');
    return true;
  });
}

/**
 * BENCH_DATABASE_URL when set (its name must contain "bench": the harness empties its tables),
 * else a throw-away embedded PostgreSQL in a temp dir, restarted once so that it preloads
 * pg_stat_statements (the statement counts come from it).
 */
export async function openDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) {
    const name = decodeURIComponent(new URL(given).pathname.slice(1));
    if (!/bench/i.test(name)) {
      throw new Error(`BENCH_DATABASE_URL: refusing database "${name}": its name must contain "bench" (its tables are emptied).`);
    }
    const statementStats = await enableStatementStats(given);
    const parsed = new URL(given);
    parsed.password = parsed.password ? '***' : '';
    return { url: given, description: `BENCH_DATABASE_URL ${parsed}`, statementStats, stop: async () => undefined };
  }

  const root = mkdtempSync(join(tmpdir(), 'tasktracker-bench-'));
  // Run as root, PostgreSQL runs as the `postgres` user, which must reach the data directory.
  chmodSync(root, 0o755);
  const options = { dataDir: join(root, 'data'), port: await freePort(), databaseName: DATABASE_NAME };
  log(`starting embedded PostgreSQL in ${root}`);
  let server = await startEmbeddedDatabase(options);
  await withClient(server.url, (client) =>
    client.query(`alter system set shared_preload_libraries = 'pg_stat_statements'`),
  );
  await server.stop();
  server = await startEmbeddedDatabase(options);
  const statementStats = await enableStatementStats(server.url);
  return {
    url: server.url,
    description: `embedded PostgreSQL (temp dir, port ${options.port})`,
    statementStats,
    stop: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The app's own ORM configuration on one connection, for as long as `work` runs. */
export async function withOrm<T>(url: string, work: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init(
    createOrmConfig({ url, poolSize: 1, maxOverflow: 0, acquireTimeoutMs: 10_000, statementTimeoutMs: 600_000, preferTs: true }),
  );
  try {
    return await work(orm);
  } finally {
    await orm.close();
  }
}

/** Applies the committed migrations with the app's own ORM configuration and migrator. */
export async function migrate(url: string): Promise<void> {
  await withOrm(url, (orm) => orm.migrator.up());
}

export async function serverVersion(url: string): Promise<string> {
  return withClient(url, async (client) => (await client.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0].v);
}
