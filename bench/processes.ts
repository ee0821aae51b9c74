import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** Starts a server child (bench/api-server.ts or bench/baseline-server.ts) and waits until it listens. */
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    rss: () => readRss(child.pid!),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
