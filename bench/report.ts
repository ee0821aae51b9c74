import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Measurement } from './load.js';
import { extraStatements, type PagePlan, type StatementProfile } from './statements.js';
import type { ComparisonResult, Goal, MemoryResult } from './scenarios.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
}

export interface StatementComparison {
  route: string;
  api: StatementProfile;
  baseline: StatementProfile;
  /** Writes: how many statements the API may send beyond the baseline's (0: its statements, kind by kind, no more). */
  goal?: Goal;
}

export interface GoalVerdict {
  id: string;
  goal: string;
  measured: string;
  met: boolean;
  /** How far past the target (positive) or short of it (negative), in percent of the target. */
  marginPercent: number;
}

export interface Report {
  mode: string;
  startedAt: string;
  seconds: number;
  machine: Machine;
  database: string;
  seed: { users: number; tasks: number; seconds: number };
  listPlans: PagePlan[];
  verification: string[];
  statements: StatementComparison[] | string;
  comparisons: ComparisonResult[];
  memory: MemoryResult | null;
  goals: GoalVerdict[];
}

export function describeMachine(postgres: string): Machine {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

const percent = (value: number, goal: Goal) =>
  Math.round(((goal.kind === 'atLeast' ? value / goal.target : goal.target / value) - 1) * 1000) / 10;
const verdict = (value: number, goal: Goal) => (goal.kind === 'atLeast' ? value >= goal.target : value <= goal.target);
const bound = (goal: Goal, unit = '') => `${goal.kind === 'atLeast' ? '≥' : '≤'} ${goal.target}${unit}`;

/** One line per goal of the issue, met or not and by how much. */
export function judge(
  comparisons: ComparisonResult[],
  memory: MemoryResult | null,
  statements: StatementComparison[] | string,
): GoalVerdict[] {
  const verdicts: GoalVerdict[] = comparisons.map((c) => ({
    id: c.id,
    goal: `${c.title}: median ${c.ratioOf} ratio ${c.labels[0]} / ${c.labels[1]} ${bound(c.goal)}`,
    measured: c.medianRatio.toFixed(3),
    met: verdict(c.medianRatio, c.goal),
    marginPercent: percent(c.medianRatio, c.goal),
  }));
  if (memory) {
    const [first, second] = memory.checkpoints;
    verdicts.push({
      id: 'memory',
      goal: `API RSS after ${second.requests.toLocaleString('en-US')} requests / after ${first.requests.toLocaleString('en-US')} ${bound(memory.goal)}`,
      measured: memory.ratio.toFixed(3),
      met: verdict(memory.ratio, memory.goal),
      marginPercent: percent(memory.ratio, memory.goal),
    });
    const baselineMiB = memory.baselineCheckpoints.map((checkpoint) => (checkpoint.rssBytes / 2 ** 20).toFixed(0)).join(' and ');
    verdicts.push({
      id: 'memory:absolute',
      goal: `API RSS after ${second.requests.toLocaleString('en-US')} requests ${bound(memory.finalGoal, ' MiB')} (the baseline: ${baselineMiB} MiB after the same requests)`,
      measured: `${memory.finalMiB.toFixed(1)} MiB`,
      met: verdict(memory.finalMiB, memory.finalGoal),
      marginPercent: percent(memory.finalMiB, memory.finalGoal),
    });
  }
  for (const s of typeof statements === 'string' ? [] : statements) {
    if (s.goal) {
      const allowed = s.baseline.perRequest + s.goal.target;
      const extra = extraStatements(s.api, s.baseline);
      verdicts.push({
        id: `statements:${s.route}`,
        goal: `${s.route}: statements per request ≤ the baseline's (${s.baseline.perRequest})${s.goal.target ? ` + ${s.goal.target}` : ''}, and none of a kind the baseline sends fewer of`,
        measured: `${s.api.perRequest}${extra.length ? ` (beyond the baseline: ${extra.join(', ')})` : ''}`,
        met: s.api.perRequest <= allowed && extra.length === 0,
        marginPercent: Math.round((allowed / s.api.perRequest - 1) * 1000) / 10,
      });
    }
  }
  return verdicts;
}

/** "1× begin; 1× insert tasks; ...": statements grouped by kind (statementKind). */
function summarize(profile: StatementProfile): string {
  const groups = new Map<string, number>();
  for (const { kind, perRequest } of profile.statements) {
    groups.set(kind, (groups.get(kind) ?? 0) + perRequest);
  }
  return [...groups].map(([kind, n]) => `${Math.round(n * 100) / 100}× ${kind}`).join('; ');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The terminal report, in Markdown so that it pastes into docs/PERFORMANCE.md as is. */
export function render(report: Report): string {
  const m = report.machine;
  const side = (x: Measurement) => [x.rps.toFixed(0), `${x.p50} / ${x.p99}`, x.cpuMs === undefined ? '' : x.cpuMs.toFixed(2)];
  const rounds = report.comparisons.flatMap((c) =>
    c.rounds.map((r, i) => [c.id, String(i + 1), c.labels[0], ...side(r.a), c.labels[1], ...side(r.b), r.ratio.toFixed(2)]),
  );
  const statements =
    typeof report.statements === 'string'
      ? report.statements
      : table(
          ['route', 'API statements/request', 'baseline statements/request', 'API statements', 'baseline statements'],
          report.statements.map((s) => [
            s.route,
            String(s.api.perRequest),
            String(s.baseline.perRequest),
            summarize(s.api),
            summarize(s.baseline),
          ]),
        );
  return [
    `## ${report.mode} run, ${report.startedAt} (${report.seconds.toFixed(0)} s)`,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres}, ` +
      `load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd?.join(' ')} at end. Database: ${report.database}; ` +
      `${report.seed.users.toLocaleString('en-US')} users, ${report.seed.tasks.toLocaleString('en-US')} tasks seeded in ${report.seed.seconds.toFixed(1)} s.`,
    '',
    ...report.listPlans.map((p) => `List query, ${p.page}: ${p.executionMs.toFixed(1)} ms in PostgreSQL, plan ${p.plan}.`),
    '',
    table(
      ['goal', 'measured', 'met', 'margin'],
      report.goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : 'NO', `${g.marginPercent > 0 ? '+' : ''}${g.marginPercent}%`]),
    ),
    '',
    table(['scenario', 'round', 'A', 'req/s', 'p50 / p99 ms', 'CPU ms/req', 'B', 'req/s', 'p50 / p99 ms', 'CPU ms/req', 'A/B'], rounds),
    '',
    statements,
  ].join('\n');
}

/** bench/results/<timestamp>.json (git-ignored). */
export function saveReport(report: Report, directory: string): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
