// Jest loads this file outside its module system, so imports name the .ts files themselves.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertTestDatabase, dropDatabase, ensureDatabaseExists } from './test-database.ts';
import { freePort } from './free-port.ts';

const TEST_DATABASE_NAME = 'tasktracker_test';

/**
 * Tests run against TEST_DATABASE_URL (or DATABASE_URL) when given, else against a throw-away
 * embedded PostgreSQL. Either way the database name must say it is for tests, and a given one is
 * dropped and created afresh.
 */
export default async function globalSetup(): Promise<void> {
  const given = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (given) {
    assertTestDatabase(given);
    // Start from an empty database: a schema left by an older checkout would hide migration drift.
    await dropDatabase(given);
    await ensureDatabaseExists(given);
    process.env.TEST_DATABASE_URL = given;
    return;
  }
  // src/ files import each other with `.js` suffixes, which only the TypeScript loader resolves.
  await import('@swc-node/register/esm-register');
  const { startEmbeddedDatabase } = await import('../../src/database/embedded-database.js');
  const root = mkdtempSync(join(tmpdir(), 'tasktracker-test-'));
  // When run as root, PostgreSQL runs as the `postgres` user and must reach its data directory.
  chmodSync(root, 0o755);
  const database = await startEmbeddedDatabase({
    dataDir: join(root, 'data'),
    port: await freePort(),
    databaseName: TEST_DATABASE_NAME,
  });
  process.env.TEST_DATABASE_URL = database.url;
  (globalThis as { stopTestDatabase?: () => Promise<void> }).stopTestDatabase = async () => {
    await database.stop();
    rmSync(root, { recursive: true, force: true });
  };
}
