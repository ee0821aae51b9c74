import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedDatabaseError, explainServerOutput, fileSystemFailure } from './embedded-database-failure.js';
import {
  LOG_FILE,
  PASSWORD_FILE,
  newPassword,
  prepareEmptyDataDir,
  writeInitdbPasswordFile,
  writePassword,
  type RunAs,
} from './embedded-database-files.js';

/**
 * The embedded PostgreSQL's processes: initdb, the server's start and stop (as the `postgres` OS
 * user when this process is root), and waiting until it accepts connections.
 */
export const EMBEDDED_USER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export async function initialise(initdb: string, dataDir: string, runAs: RunAs, port: number): Promise<void> {
  prepareEmptyDataDir(dataDir, runAs);
  const password = newPassword();
  let passwordFile: string;
  try {
    passwordFile = writeInitdbPasswordFile(dataDir, password, runAs);
  } catch (error) {
    throw fileSystemFailure(error, `writing a password file next to ${dataDir}`, 'Set EMBEDDED_DATABASE_DIR to a folder you can write');
  }
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${EMBEDDED_USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-instructions'];
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

export interface Server {
  child: ChildProcess;
  exited: Promise<void>;
  onProcessExit: () => void;
}

/**
 * Starts `postgres` in its own process group (a Ctrl-C aimed at the API does not stop the
 * database under in-flight requests; stop() does, after them), its output appended to LOG_FILE.
 * Ready once postmaster.pid says so; an early exit is explained from the log.
 */
export async function startServer(postgres: string, dataDir: string, port: number, runAs: RunAs): Promise<Server> {
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

export async function stopServer(server: Server): Promise<void> {
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

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
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
export async function waitUntilAccepting(url: string, pid: number, dataDir: string): Promise<void> {
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
