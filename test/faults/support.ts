import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type Agent } from 'node:http';
import pg from 'pg';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { createTestApp } from '../support/test-app.js';
import { freePort } from '../support/free-port.js';
import { pollUntil, sleep } from '../support/wait.js';

export { freePort, pollUntil, sleep };

/** The promise's value, or undefined once `ms` have passed; the timer never outlives it. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sets environment variables (undefined deletes one) and returns a function restoring the
 * previous values. The app reads its environment when it is created, so set these before
 * createTestApp and restore them after it.
 */
export function overrideEnv(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  };
  apply(values);
  return () => apply(previous);
}

/** createTestApp with some environment variables set only while the app is being built. */
export async function createAppWithEnv(
  values: Record<string, string | undefined>,
  logDestination?: DestinationStream,
): Promise<NestFastifyApplication> {
  const restore = overrideEnv(values);
  try {
    return await createTestApp(logDestination);
  } finally {
    restore();
  }
}

/** Collects the JSON log lines an app writes (pino DestinationStream). */
export class LogCapture implements DestinationStream {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => line.split('\n')).filter((line) => line.trim()).map((line) => JSON.parse(line));
  }

  clear(): void {
    this.lines.length = 0;
  }
}

/** Level 50 (error) and above. */
export const PINO_ERROR = 50;

export interface TimedResult<T> {
  value: T;
  ms: number;
}

export async function timed<T>(run: () => Promise<T>): Promise<TimedResult<T>> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request on a fresh TCP connection (no keep-alive pool), so "connection refused" and
 * "503 on a closing server" are not confused with a stale pooled socket. Rejects with the
 * socket error (e.g. ECONNREFUSED). Bounded by `timeoutMs`.
 */
export function freshConnectionRequest(
  url: string,
  {
    method = 'GET',
    body,
    timeoutMs = 5_000,
    headers = {},
    agent,
  }: { method?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method,
        // With an agent: its (keep-alive) connections; without: a new connection, closed after.
        agent: agent ?? false,
        headers: {
          ...(agent ? {} : { connection: 'close' }),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Words that must never reach a client: SQL, stack frames, ORM/driver class names. */
export const INTERNAL_LEAK =
  /select |insert into|update |delete from|"tasks"|"categories"|\bat [\w.<>]+ \(|\.ts:\d+|node_modules|mikro|DriverException|Exception\b|QueryFailedError|pg_|PL\/pgSQL|sqlState|P0001|trigger/i;

/** Asserts the standard 503 "retry shortly" answer. */
export function expectUnavailable(response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }): void {
  expect(response.statusCode).toBe(503);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(response.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
}

export interface ServerProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Resolves when the process exits, with the moment (performance.now()) it did. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stdout(): string;
  stderr(): string;
  /** SIGKILLs the process if it still runs (this file's own child only) and waits for it. */
  kill(): Promise<void>;
}

/**
 * The real server (src/main.ts) in a child process, in Node's own single realm (unlike Jest's
 * vm context), on a free loopback port. Resolves once /health/ready answers 200 (bounded).
 */
export async function spawnServer(
  env: Record<string, string>,
  { readyTimeoutMs = 30_000, preload = [] as string[] } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, MIGRATE_ON_START: 'true', LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' };
  // Jest's --experimental-vm-modules would print an ExperimentalWarning on the child's stderr.
  delete childEnv.NODE_OPTIONS;
  delete childEnv.REDIS_URL;
  delete childEnv.TEST_APP_LOGS;
  const preloads = preload.flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...preloads, '--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    // npm runs the suite from the package root (/work/main).
    cwd: process.cwd(),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const server: ServerProcess = {
    baseUrl,
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await within(exited, 5_000);
      }
    },
  };
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the server exited early (${child.exitCode ?? child.signalCode})`);
        }
        const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 200, what: `the server at ${baseUrl} to be ready` },
    );
  } catch (error) {
    await server.kill();
    throw new Error(`${(error as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`, { cause: error });
  }
  return server;
}

/** A JSON request over real HTTP (global fetch), bounded in time. */
export async function httpJson(
  baseUrl: string,
  method: string,
  path: string,
  { body, headers = {}, timeoutMs = 5_000 }: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()) as Record<string, string>,
    body: text,
    json: () => JSON.parse(text) as unknown,
  };
}

/** A direct PostgreSQL client on the shared test database, for fault injection and checks. */
export async function connectToTestDatabase(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  return client;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are interpolated into trigger DDL (which takes no parameters): only well-formed UUIDs. */
export function uuidLiteral(id: string): string {
  if (!UUID.test(id)) {
    throw new Error(`not a UUID: ${id}`);
  }
  return `'${id}'::uuid`;
}

/** A unique SQL identifier for this run's functions and triggers. */
export const faultName = (purpose: string) => `fault_${purpose}_${Math.random().toString(36).slice(2, 10)}`;
