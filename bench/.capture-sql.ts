// Scratch: captures the API's statements with log_statement = 'all' on the embedded PostgreSQL. Deleted after use.
import 'reflect-metadata';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, openDatabase, withClient } from './database.js';
import { startProductionApi } from './processes.js';
import { requestStreams } from './requests.js';
import { seed } from './seed.js';
import { send } from './requests.js';

const db = await openDatabase(console.log);
try {
  await migrate(db.url);
  const fixture = await withClient(db.url, (c) => seed(c, { users: 20, tasksPerUser: 20, heavyTasks: 2000, deepRows: 1000 }));
  const dataDir = await withClient(db.url, async (c) => (await c.query('show data_directory')).rows[0].data_directory as string);
  const log = join(dataDir, 'tasktracker-postgres.log');
  const api = await startProductionApi({ ...process.env, NODE_ENV: 'production', DATABASE_URL: db.url, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000', WEBHOOK_DISPATCH: 'false', SHUTDOWN_DRAIN_MS: '0' });
  try {
    await withClient(db.url, async (c) => { await c.query(`alter system set log_statement = 'all'`); await c.query('select pg_reload_conf()'); });
    await new Promise((r) => setTimeout(r, 500));
    const streams = requestStreams(fixture);
    const extra = JSON.parse(process.env.CAPTURE_EXTRA ?? '[]') as Array<[string, any]>;
    const routes: Array<[string, any]> = [
      ['list', streams.list(0)], ['list deep', streams.deepPage(0)], ['get', streams.get(0)], ['create', streams.create(0)],
      ['update', streams.update(0)], ['trash', streams.trash(0)], ['restore', streams.restore(0)], ['idempotentCreate', streams.idempotentCreate(1)],
      ...extra.map(([n, f]) => [n, (streams as any)[f[0]](f[1])] as [string, any]),
    ];
    for (const [name, spec] of routes) {
      const start = statSync(log).size;
      const reply = await send(api.url, spec);
      await new Promise((r) => setTimeout(r, 300));
      const text = readFileSync(log).subarray(start).toString('utf8');
      console.log(`\n===== ${name}: ${spec.method} ${spec.path} -> ${reply.status}`);
      console.log(text);
      if (process.env.CAPTURE_BODY) console.log(JSON.stringify(reply.body).slice(0, 1500));
    }
    await withClient(db.url, async (c) => { await c.query(`alter system reset log_statement`); await c.query('select pg_reload_conf()'); });
  } finally {
    await api.stop();
  }
} finally {
  await db.stop();
}
process.exit(0);
