import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/free-port.js';
import { httpRequest } from './cluster.js';

/**
 * Drives deploy/ha-cluster.sh for the failover test: three etcd members, three Patroni nodes,
 * HAProxy for PostgreSQL, PgBouncer, three API instances and HAProxy, all on 127.0.0.1, on ports
 * picked free for this run. Redis is not used: each instance counts its own rate limits.
 */
const HA_CLUSTER_SCRIPT = resolve('deploy/ha-cluster.sh');

/** What `deploy/ha-cluster.sh start` wrote to cluster.env. */
export interface HaClusterInfo {
  lbUrl: string;
  apiUrls: string[];
  /** HAProxy's primary port, as the application role. */
  directPrimaryUrl: string;
  /** Each node's own port, as the application role (reads a standby directly). */
  nodeAppUrls: string[];
  monitorPrimaryUrl: string;
  nodeRestUrls: string[];
  dbStatsUrl: string;
  apiPidFile(instance: number): string;
}

export class HaCluster {
  private constructor(
    readonly stateDir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A state directory and 21 free loopback ports; nothing started yet. */
  static async prepare(): Promise<HaCluster> {
    const stateDir = mkdtempSync(join(tmpdir(), 'tasktracker-ha-test-'));
    // Run as root, PostgreSQL runs as the `postgres` OS user and must traverse this directory.
    chmodSync(stateDir, 0o755);
    const ports = await Promise.all(Array.from({ length: 21 }, freePort));
    const take = (count: number) => ports.splice(0, count).join(' ');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CLUSTER_STATE_DIR: stateDir,
      CLUSTER_ETCD_CLIENT_PORTS: take(3),
      CLUSTER_ETCD_PEER_PORTS: take(3),
      CLUSTER_NODE_PG_PORTS: take(3),
      CLUSTER_NODE_REST_PORTS: take(3),
      CLUSTER_DB_PRIMARY_PORT: take(1),
      CLUSTER_DB_REPLICA_PORT: take(1),
      CLUSTER_DB_STATS_PORT: take(1),
      CLUSTER_PGBOUNCER_PORT: take(1),
      CLUSTER_LB_PORT: take(1),
      CLUSTER_STATS_PORT: take(1),
      CLUSTER_API_PORTS: take(3),
      CLUSTER_REDIS_URL: '',
      CLUSTER_MAX_TASKS_PER_USER: '1000000',
    };
    return new HaCluster(stateDir, env);
  }

  /** Runs `deploy/ha-cluster.sh <args>`; rejects with its output when it fails or overruns. */
  run(args: string[], timeoutMs: number): Promise<string> {
    return new Promise((done, fail) => {
      execFile('bash', [HA_CLUSTER_SCRIPT, ...args], { env: this.env, timeout: timeoutMs, killSignal: 'SIGTERM' }, (error, stdout, stderr) => {
        if (error) {
          fail(new Error(`deploy/ha-cluster.sh ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}${stderr}`));
        } else {
          done(`${stdout}${stderr}`);
        }
      });
    });
  }

  info(): HaClusterInfo {
    const values = Object.fromEntries(
      readFileSync(join(this.stateDir, 'cluster.env'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const direct = new URL(values.DIRECT_PRIMARY_URL);
    return {
      lbUrl: values.LB_URL,
      apiUrls: values.API_URLS.split(','),
      directPrimaryUrl: values.DIRECT_PRIMARY_URL,
      nodeAppUrls: values.NODE_URLS.split(',').map((url) => {
        const node = new URL(direct);
        node.port = new URL(url).port;
        return node.toString();
      }),
      monitorPrimaryUrl: values.MONITOR_PRIMARY_URL,
      nodeRestUrls: values.NODE_REST_URLS.split(','),
      dbStatsUrl: values.DB_STATS_URL,
      apiPidFile: (instance) => join(values.RUN_DIR, `api-${instance}.pid`),
    };
  }

  apiPid(instance: number): number {
    return Number(readFileSync(this.info().apiPidFile(instance), 'utf8').trim());
  }

  /** The node (1-3) whose Patroni answers 200 on /primary, if any. */
  async leader(): Promise<number | undefined> {
    const roles = await Promise.all(this.info().nodeRestUrls.map((url) => nodeAnswers(`${url}/primary`)));
    const index = roles.indexOf(true);
    return index < 0 ? undefined : index + 1;
  }

  /** Whether node `n`'s Patroni reports it as a running replica. */
  isReplica(n: number): Promise<boolean> {
    return nodeAnswers(`${this.info().nodeRestUrls[n - 1]}/replica`);
  }

  /** Which nodes HAProxy's PostgreSQL listener ("postgres_primary" or "postgres_replicas") has UP. */
  async upBehind(listener: string): Promise<string[]> {
    const csv = (await httpRequest(`${this.info().dbStatsUrl}/;csv`, { timeoutMs: 2_000 })).text;
    return csv
      .split('\n')
      .map((line) => line.split(','))
      .filter((row) => row[0] === listener && /^node\d$/.test(row[1]) && row[17] === 'UP')
      .map((row) => row[1]);
  }
}

async function nodeAnswers(url: string): Promise<boolean> {
  try {
    return (await httpRequest(url, { timeoutMs: 1_000 })).status === 200;
  } catch {
    return false;
  }
}
