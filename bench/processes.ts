import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { ReadyMessage } from './child.js';

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** Resident set size (VmRSS) in bytes, read from /proc. */
  rss(): number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;
const TS_LOADER = ['--import', '@swc-node/register/esm-register'];

/**
 * The V8 flags `npm run start:prod` gives the API (the heap limits behind its RSS, docs/PERFORMANCE.md
 * "Memory"), read from package.json so the benchmarked process cannot drift from the deployed one.
 */
function productionNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  return scripts['start:prod'].split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Spawns `node --import <swc> bench/<script>` with an IPC channel. */
export function spawnScript(script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return fork(script, args, {
    execPath: process.execPath,
    execArgv: TS_LOADER,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kilobytes) {
    throw new Error(`no VmRSS for process ${pid}`);
  }
  return Number(kilobytes) * 1024;
}

/** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat. */
export function readCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux platform Node runs on
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/**
 * Starts the API as `npm run start:prod` does (the build in dist/, its V8 flags) on a free loopback
 * port and waits until /health/ready answers 200: the process measured is the one deployed.
 */
export async function startProductionApi(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const port = await freeLoopbackPort();
  const child = fork('dist/src/main.js', [], {
    execPath: process.execPath,
    execArgv: [...productionNodeFlags(), '--import', './bench/exit-with-harness.mjs'],
    env: { ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answersReady(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`API exited with code ${child.exitCode} before it was ready`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`API was not ready within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return serverProcess('API', child, url);
}

const answersReady = (url: string) =>
  fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) }).then(
    (response) => response.ok,
    () => false,
  );

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a server child (bench/baseline-server.ts) and waits until it listens. */
export async function startServer(name: string, script: string, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawnScript(script, [], env);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.once('message', (message: ReadyMessage) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening`));
    });
  });
  return serverProcess(name, child, `http://127.0.0.1:${port}`);
}

function serverProcess(name: string, child: ChildProcess, url: string): ServerProcess {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    pid: child.pid!,
    url,
    rss: () => readRss(child.pid!),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
