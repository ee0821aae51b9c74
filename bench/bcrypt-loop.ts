/**
 * Child process: the ceiling for logins. A bare bcrypt.compare saturation loop, `concurrency`
 * comparisons always in flight on libuv's thread pool (the same pool size as the API process:
 * both inherit UV_THREADPOOL_SIZE), against a hash of the same cost the seeded users have.
 * Its answer to {seconds, concurrency} is a Measurement, like an autocannon run.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcrypt';
import type { Measurement } from './load.js';

interface RunMessage {
  seconds: number;
  concurrency: number;
}

const cost = Number(process.argv[2] ?? 12);
// What src/users/password.ts hands bcrypt: the SHA-256 pre-hash of the password, base64.
const preHashed = createHash('sha256').update('tasktracker bench password', 'utf8').digest('base64');
const hash = await bcrypt.hash(preHashed, cost);

/** Whole milliseconds, like autocannon's latency histogram. */
const percentile = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0);

async function saturate({ seconds, concurrency }: RunMessage): Promise<Measurement> {
  const latencies: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      if (!(await bcrypt.compare(preHashed, hash))) {
        throw new Error('bcrypt.compare returned false');
      }
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    requests: latencies.length,
    cpuMs: (cpu.user + cpu.system) / 1000 / Math.max(latencies.length, 1),
  };
}

process.on('message', (message: RunMessage) => {
  void saturate(message).then((result) => process.send!(result));
});
process.once('disconnect', () => process.exit(0));
process.send!({ type: 'ready', port: 0 });
