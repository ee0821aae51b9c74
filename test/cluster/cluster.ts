import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { newAccountData } from '../support/accounts.js';
import { freePort } from '../support/free-port.js';

/**
 * Drives deploy/cluster.sh for the scale-out test: a primary and a streaming replica, three API
 * instances and HAProxy, all on 127.0.0.1, on ports picked free for this run.
 */
const CLUSTER_SCRIPT = resolve('deploy/cluster.sh');

/**
 * The instances' shared counters live in a Redis database of their own, emptied before each
 * run: counters left by an earlier run within the hour (the registration limit's window) would
 * otherwise refuse this run's sign-ups.
 */
const CLUSTER_REDIS_DATABASE = 3;

function clusterRedisUrl(): string {
  if (process.env.CLUSTER_REDIS_URL !== undefined) {
    return process.env.CLUSTER_REDIS_URL; // Given (empty: no Redis): used as is, never emptied.
  }
  const server = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  server.pathname = `/${CLUSTER_REDIS_DATABASE}`;
  return server.toString();
}

async function emptyRedisDatabase(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** What `deploy/cluster.sh start` wrote to cluster.env. */
export interface ClusterInfo {
  lbUrl: string;
  statsUrl: string;
  apiUrls: string[];
  primaryUrl: string;
  replicaReaderUrl: string;
  monitorPrimaryUrl: string;
  monitorReplicaUrl: string;
  apiPidFile(instance: number): string;
}

export class Cluster {
  private constructor(
    readonly stateDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A state directory and seven free loopback ports; nothing started yet. */
  static async prepare(): Promise<Cluster> {
    const stateDir = mkdtempSync(join(tmpdir(), 'tasktracker-cluster-test-'));
    // Run as root, PostgreSQL runs as the `postgres` OS user and must traverse this directory.
    chmodSync(stateDir, 0o755);
    const [lb, stats, primary, replica, ...apis] = await Promise.all(Array.from({ length: 7 }, freePort));
    // Only what the script needs: the test runner's DATABASE_URL and NODE_ENV must not leak in.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CLUSTER_STATE_DIR: stateDir,
      CLUSTER_LB_PORT: String(lb),
      CLUSTER_STATS_PORT: String(stats),
      CLUSTER_PRIMARY_PORT: String(primary),
      CLUSTER_REPLICA_PORT: String(replica),
      CLUSTER_API_PORTS: apis.join(' '),
      // Empty: no Redis, each instance counts its own rate limits (.ci/run when Redis is down).
      CLUSTER_REDIS_URL: clusterRedisUrl(),
      // One account writes every task of the write loads (tens of thousands in a run).
      CLUSTER_MAX_TASKS_PER_USER: '1000000',
    };
    if (process.env.CLUSTER_REDIS_URL === undefined) {
      await emptyRedisDatabase(env.CLUSTER_REDIS_URL!);
    }
    return new Cluster(stateDir, env);
  }

  /** Runs `deploy/cluster.sh <args>`; rejects with its output when it fails or overruns. */
  run(args: string[], timeoutMs: number): Promise<string> {
    return new Promise((done, fail) => {
      execFile('bash', [CLUSTER_SCRIPT, ...args], { env: this.env, timeout: timeoutMs, killSignal: 'SIGTERM' }, (error, stdout, stderr) => {
        if (error) {
          fail(new Error(`deploy/cluster.sh ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}${stderr}`));
        } else {
          done(`${stdout}${stderr}`);
        }
      });
    });
  }

  info(): ClusterInfo {
    const values = Object.fromEntries(
      readFileSync(join(this.stateDir, 'cluster.env'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return {
      lbUrl: values.LB_URL,
      statsUrl: values.STATS_URL,
      apiUrls: values.API_URLS.split(','),
      primaryUrl: values.PRIMARY_URL,
      replicaReaderUrl: values.REPLICA_READER_URL,
      monitorPrimaryUrl: values.MONITOR_PRIMARY_URL,
      monitorReplicaUrl: values.MONITOR_REPLICA_URL,
      apiPidFile: (instance) => join(values.RUN_DIR, `api-${instance}.pid`),
    };
  }

  apiPid(instance: number): number {
    return Number(readFileSync(this.info().apiPidFile(instance), 'utf8').trim());
  }
}

/** One HAProxy backend server as the stats CSV shows it. */
export interface ServerStats {
  status: string;
  /** Sessions (requests, with http-server-close off: connections) sent to it so far. */
  sessions: number;
  /** Requests retried after a failed connection, and redispatched to another server. */
  retries: number;
  redispatches: number;
}

export async function haproxyServers(statsUrl: string): Promise<Record<string, ServerStats>> {
  const csv = (await httpRequest(`${statsUrl}/;csv`, { timeoutMs: 2_000 })).text;
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const column = (row: string[], name: string) => row[columns.indexOf(name)];
  const servers: Record<string, ServerStats> = {};
  for (const row of rows.map((line) => line.split(','))) {
    if (column(row, 'pxname') === 'api' && /^api\d$/.test(column(row, 'svname'))) {
      servers[column(row, 'svname')] = {
        status: column(row, 'status'),
        sessions: Number(column(row, 'stot')),
        retries: Number(column(row, 'wretr')),
        redispatches: Number(column(row, 'wredis')),
      };
    }
  }
  return servers;
}

/** A short-lived PostgreSQL connection for one query; bounded in connect and run time. */
export async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Keep-alive connections, like a real client's, from one agent that afterAll can close (fetch's
 * global pool would keep Jest waiting for its idle sockets to time out). Like fetch, it closes an
 * idle connection 1 s before the server's `Keep-Alive: timeout=` says the server will: Node's agent
 * applies that hint only when it is below the agent's own `timeout`, hence the timeout here
 * (requests set their own).
 */
const agent = new Agent({ keepAlive: true, timeout: 60_000 });

export function closeConnections(): void {
  agent.destroy();
}

/** One HTTP request; a network error or the timeout rejects, any HTTP status resolves. */
export function httpRequest(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<{ status: number; contentType: string; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((done, fail) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers, agent, timeout: options.timeoutMs ?? 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        done({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'] ?? '',
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', fail);
    });
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    outgoing.on('error', fail);
    outgoing.end(options.body);
  });
}

/** Whether the process runs (Linux: a zombie, killed and not yet reaped, counts as gone). */
export function processExists(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * One GET over a fresh connection left idle afterwards: the answer's head, and how long after the
 * answer the server closed the connection (undefined if it was still open after `limitMs`).
 */
export async function idleConnectionAfter(baseUrl: string, path: string, limitMs: number): Promise<{ head: string; closedAfterMs?: number }> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let received = '';
  let answeredAt = 0;
  const closedAfterMs = new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(resolve, limitMs, undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(performance.now() - answeredAt);
    });
  });
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
    answeredAt ||= performance.now();
  });
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  const closedAfter = await closedAfterMs;
  socket.destroy();
  return { head: received.split('\r\n\r\n')[0], closedAfterMs: closedAfter };
}

export interface ApiResponse {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One JSON request to the API; a network error rejects, an HTTP error status resolves. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: object; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const response = await httpRequest(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(options.body ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body ? JSON.stringify(options.body) : undefined,
    timeoutMs: options.timeoutMs,
  });
  // HAProxy's own errors (502, 503) are HTML.
  const json = response.contentType.includes('json');
  return { status: response.status, contentType: response.contentType, headers: response.headers, body: json && response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {} };
}

export interface Account {
  id: string;
  username: string;
  password: string;
  token: string;
}

/** Registers through `registerUrl` and logs in through `loginUrl` (instances or the balancer). */
export async function registerAndLogin(registerUrl: string, loginUrl = registerUrl): Promise<Account> {
  const account = newAccountData({ name: 'Cluster Test' });
  const { username, password } = account;
  const registered = await api(registerUrl, 'POST', '/auth/register', { body: account });
  if (registered.status !== 201) {
    throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  }
  const loggedIn = await api(loginUrl, 'POST', '/auth/login', { body: { login: username, password } });
  if (loggedIn.status !== 200) {
    throw new Error(`login answered ${loggedIn.status}: ${JSON.stringify(loggedIn.body)}`);
  }
  return { id: String(registered.body.id), username, password, token: String(loggedIn.body.accessToken) };
}
