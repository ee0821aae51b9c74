import autocannon, { type Client } from 'autocannon';
import { readCpuMs } from './processes.js';
import type { RequestSequence, RequestStream } from './requests.js';

export interface LoadOptions {
  connections: number;
  /** Run for this long... */
  seconds?: number;
  /** ...or until this many responses. */
  amount?: number;
  /** Requests per second over all connections; unset: as fast as the server answers (closed loop). */
  overallRate?: number;
  /** The server's process id: its CPU time per request is measured too. */
  pid?: number;
  /** Statuses that are expected answers, not a broken harness (default: 2xx only). */
  accept?: number[];
}

export interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** CPU time of the server process per request, ms: robust to other load on the machine. */
  cpuMs?: number;
  /** Responses per status, when `accept` allowed more than 2xx. */
  statuses?: Record<string, number>;
}

/** Never reset: every request of the run gets a distinct index (distinct titles, rotating users). */
let sequence = 0;

/**
 * Each connection gets its own request objects: autocannon shares one list between connections
 * by default, so every connection's first request was the one built last (the same user and task
 * on all of them). A sequence takes one index per pass and skips an index whose first request
 * works on something another connection's pass still holds (the same task twice at once would
 * make a DELETE or a restore answer 404).
 */
function perConnection(steps: RequestSequence): (client: Client) => void {
  const held = new Set<string>();
  const claim = (): number => {
    for (let tries = 0; tries < 10_000; tries++) {
      const index = sequence++;
      if (steps.length === 1 || !held.has(steps[0](index).path)) {
        if (steps.length > 1) held.add(steps[0](index).path);
        return index;
      }
    }
    throw new Error(`${steps[0](0).path}: more connections than things to work on`);
  };
  return (client) => {
    let index = 0;
    client.setRequests(
      steps.map((step, k) => ({
        setupRequest: (request) => {
          if (k === 0) index = claim();
          return { ...request, ...step(index) };
        },
        ...(k === steps.length - 1 && steps.length > 1 && { onResponse: () => held.delete(steps[0](index).path) }),
      })),
    );
  };
}

/**
 * One autocannon run: no pipelining, loopback, a fresh request (token, task, body) per request,
 * or per pass of a sequence. Any non-2xx answer, error or timeout means the harness is broken,
 * not that the API is slow.
 */
export async function load(baseUrl: string, stream: RequestStream | RequestSequence, options: LoadOptions): Promise<Measurement> {
  const steps: RequestSequence = typeof stream === 'function' ? [stream] : stream;
  const cpuBefore = options.pid ? readCpuMs(options.pid) : 0;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    pipelining: 1,
    // autocannon rejects `duration: undefined`: pass only what is set.
    ...(options.seconds !== undefined && { duration: options.seconds }),
    ...(options.amount !== undefined && { amount: options.amount }),
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
    // Rate-limited runs: autocannon's correction assumes 1 ms between requests and adds fake samples.
    ignoreCoordinatedOmission: options.overallRate !== undefined,
    timeout: 30,
    setupClient: perConnection(steps),
  });
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  const unexpected = Object.keys(statuses).filter((code) => !code.startsWith('2') && !options.accept?.includes(Number(code)));
  if (result.errors || result.timeouts || unexpected.length > 0) {
    const codes = Object.entries(statuses).map(([code, count]) => `${code}×${count}`).join(', ');
    throw new Error(`load on ${baseUrl}${steps.map((step) => `${step(0).method} ${step(0).path}`).join(' + ')}: ${result.errors} errors, ${result.timeouts} timeouts, status ${codes}`);
  }
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
    ...(options.pid && { cpuMs: (readCpuMs(options.pid) - cpuBefore) / Math.max(result['2xx'], 1) }),
    ...(options.accept && { statuses }),
  };
}

export const median = (values: number[]): number => {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export interface Round<T> {
  a: T;
  b: T;
  ratio: number;
}

/**
 * A then B, repeated: after one unrecorded warm-up of each (unless `warmUp` is false), `rounds`
 * recorded A/B pairs. Taking
 * turns spreads slow drifts (other load on the machine, autovacuum, JIT) over both sides alike.
 */
export async function interleave<T>(
  rounds: number,
  warmUp: boolean,
  runA: (warmUp: boolean) => Promise<T>,
  runB: (warmUp: boolean) => Promise<T>,
  ratio: (a: T, b: T) => number,
  onRound: (round: Round<T>, index: number) => void,
): Promise<{ rounds: Round<T>[]; medianRatio: number }> {
  if (warmUp) {
    await runA(true);
    await runB(true);
  }
  const recorded: Round<T>[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await runA(false);
    const b = await runB(false);
    const round = { a, b, ratio: ratio(a, b) };
    recorded.push(round);
    onRound(round, i);
  }
  return { rounds: recorded, medianRatio: median(recorded.map((round) => round.ratio)) };
}
