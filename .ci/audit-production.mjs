// The dependency gate: fails on a high or critical advisory against a production dependency
// (`npm audit --omit=dev`), unless .ci/audit-exceptions.json accepts that advisory with a reason.
// When the registry offers no advisory service (it answers the audit request with an HTTP error,
// as the registry mirror this project's machines use does), nothing can be checked: that is
// printed plainly, never reported as a pass.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const BLOCKING = new Set(['high', 'critical']);
const exceptions = JSON.parse(readFileSync(new URL('./audit-exceptions.json', import.meta.url), 'utf8'));

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(`npm audit printed no report (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}

if (!report.vulnerabilities) {
  if (typeof report.statusCode === 'number') {
    console.log(`!! advisory check NOT performed: the registry answered ${report.statusCode} to npm audit (${report.message})`);
    process.exit(0);
  }
  console.error(`npm audit failed: ${JSON.stringify(report).slice(0, 500)}`);
  process.exit(1);
}

const advisories = Object.values(report.vulnerabilities)
  .flatMap((entry) => entry.via.filter((via) => typeof via === 'object'))
  .filter((advisory) => BLOCKING.has(advisory.severity));
const accepted = advisories.filter((advisory) => exceptions[advisory.url]);
const blocking = advisories.filter((advisory) => !exceptions[advisory.url]);
for (const advisory of accepted) {
  console.log(`accepted: ${advisory.url} (${advisory.name}: ${advisory.title}): ${exceptions[advisory.url]}`);
}
for (const advisory of blocking) {
  console.log(`BLOCKING: ${advisory.severity} ${advisory.url} in ${advisory.name}: ${advisory.title}`);
}
console.log(`production dependencies: ${blocking.length} blocking, ${accepted.length} accepted high/critical advisories`);
process.exit(blocking.length > 0 ? 1 : 0);
