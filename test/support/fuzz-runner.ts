import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import type { ContractChecker, Operation } from './openapi-contract.js';
import { requestArbitrary } from './fuzz-requests.js';
import { printable, shapeOf } from './fuzz-text.js';
import type { FuzzWorld } from './fuzz-world.js';

/** Operations that hash or compare passwords (bcrypt, ~50 ms): fewer of their bodies are valid. */
export const BCRYPT_OPERATIONS = new Set([
  'post /api/v1/auth/register',
  'post /api/v1/auth/login',
  'put /api/v1/users/me/password',
  'delete /api/v1/users/me',
]);

const EXAMPLES_PER_VIOLATION = 4;

/** The seed when nobody asks for another: every run sends the same requests, so red is never luck. */
export const DEFAULT_FUZZ_SEED = 20261123;
export const DEFAULT_FUZZ_RUNS = 200;

/**
 * The fast-check seed FUZZ_SEED asks for: unset, the fixed default; `random`, a fresh one (to
 * explore, printed with the run); an integer, that one (to replay a printed seed). fast-check
 * keeps 32 bits of a seed, so a larger number would be a second name for a smaller one.
 */
export function fuzzSeed(setting: string | undefined = process.env.FUZZ_SEED): number {
  if (setting === undefined || setting.trim() === '') return DEFAULT_FUZZ_SEED;
  if (setting.trim() === 'random') return randomInt(2 ** 31);
  const seed = Number(setting);
  if (!/^\s*-?\d+\s*$/.test(setting) || seed < -(2 ** 31) || seed >= 2 ** 31) {
    throw new Error(`FUZZ_SEED must be "random" or an integer from -2147483648 to 2147483647, not ${JSON.stringify(setting)}`);
  }
  return seed;
}

/** FUZZ_RUNS may raise the number of requests per operation, never lower it below the default. */
export function fuzzRuns(setting: string | undefined = process.env.FUZZ_RUNS): number {
  if (setting === undefined || setting.trim() === '') return DEFAULT_FUZZ_RUNS;
  if (!/^\s*\d+\s*$/.test(setting)) throw new Error(`FUZZ_RUNS must be a whole number, not ${JSON.stringify(setting)}`);
  return Math.max(DEFAULT_FUZZ_RUNS, Number(setting));
}

/** The command that sends the same requests again: the seed, and the run count when not the default. */
export function replayCommand(seed: number, numRuns: number): string {
  const runs = numRuns === DEFAULT_FUZZ_RUNS ? '' : ` FUZZ_RUNS=${numRuns}`;
  return `FUZZ_SEED=${seed}${runs} npm test -- test/fuzz.e2e-spec.ts`;
}

export interface Violation {
  count: number;
  /** One example per request shape (mutation, field, query parameters), a few at most. */
  examples: Map<string, { run: number; text: string }>;
}

export interface OperationReport {
  key: string;
  runs: number;
  millis: number;
  statuses: Record<number, number>;
  /** By signature: the status and everything wrong with the answer. */
  violations: Map<string, Violation>;
}

export function addViolation(report: OperationReport, signature: string, shape: string, run: number, text: string): void {
  const violation = report.violations.get(signature) ?? { count: 0, examples: new Map() };
  violation.count++;
  if (!violation.examples.has(shape) && violation.examples.size < EXAMPLES_PER_VIOLATION) violation.examples.set(shape, { run, text });
  report.violations.set(signature, violation);
}

/**
 * Runs `numRuns` generated requests against one operation. Violations are collected rather than
 * thrown, so one run reports every distinct way an operation breaks its contract instead of the
 * first one only; each comes with printable examples and their run numbers under the seed.
 */
export async function fuzzOperation(
  world: FuzzWorld,
  checker: ContractChecker,
  operation: Operation,
  options: { seed: number; numRuns: number },
): Promise<OperationReport> {
  const report: OperationReport = { key: operation.key, runs: 0, millis: 0, statuses: {}, violations: new Map() };
  const started = Date.now();
  const property = fc.asyncProperty(requestArbitrary(operation, BCRYPT_OPERATIONS.has(operation.key)), async (request) => {
    const run = report.runs++;
    try {
      const { response, description } = await world.send(operation, request);
      report.statuses[response.statusCode] = (report.statuses[response.statusCode] ?? 0) + 1;
      const problems = checker.violations(operation, response);
      if (request.body?.mustReject && response.statusCode < 300) {
        problems.push(`accepted ${request.body.mustReject}`);
      }
      if (problems.length > 0) {
        const text = `${description}\n        -> ${response.statusCode} ${printable(response.body, 200)}`;
        addViolation(report, `${response.statusCode}: ${problems.join('; ')}`, shapeOf(request), run, text);
      }
    } catch (error) {
      addViolation(report, `the request threw: ${(error as Error).message}`, shapeOf(request), run, printable(fc.stringify(request), 600));
    }
  });
  // Violations are collected, never thrown: a failed check means the harness itself broke.
  const result = await fc.check(property, { seed: options.seed, numRuns: options.numRuns, endOnFailure: true });
  if (result.failed) {
    addViolation(report, `the harness failed: ${fc.defaultReportMessage(result)}`, '', result.numRuns, '');
  }
  report.millis = Date.now() - started;
  return report;
}

export function formatViolations(reports: OperationReport[], replay: string): string {
  const lines = [`Replay with: ${replay}`];
  for (const report of reports) {
    for (const [signature, violation] of report.violations) {
      lines.push(`\n[${report.key}] ${signature} (${violation.count}×)`);
      for (const [shape, { run, text }] of violation.examples) {
        lines.push(`    run ${run} (${shape}):\n        ${text}`);
      }
    }
  }
  return lines.join('\n');
}

export function formatCoverage(reports: OperationReport[]): string {
  return reports
    .map((r) => `${r.key.padEnd(40)} ${String(r.runs).padStart(4)} runs ${String(r.millis).padStart(6)} ms  ${Object.entries(r.statuses).map(([s, n]) => `${s}×${n}`).join(' ')}`)
    .join('\n');
}
