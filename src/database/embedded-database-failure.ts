/**
 * A failure to start the embedded PostgreSQL, worded for the person at the terminal: one line
 * with the cause and what to do. The entry points print `message` alone (no stack) and exit 1.
 */
export class EmbeddedDatabaseError extends Error {
  constructor(cause: string, remedy: string) {
    super(`Embedded PostgreSQL: ${oneLine(cause)}. ${oneLine(remedy)}.`);
    this.name = 'EmbeddedDatabaseError';
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');

export const portTaken = (port: number) =>
  new EmbeddedDatabaseError(
    `port ${port} on 127.0.0.1 is taken by another program (another checkout's database?)`,
    'Stop that program, or set EMBEDDED_DATABASE_PORT (in the environment or .env) to a free port',
  );

/** Turns what initdb or postgres printed before dying into one actionable line. */
export function explainServerOutput(output: string, context: { dataDir: string; port: number; runAs: string }): EmbeddedDatabaseError {
  const { dataDir, port, runAs } = context;
  if (/Address already in use|could not create any TCP\/IP sockets/i.test(output)) {
    return portTaken(port);
  }
  if (/No space left on device|could not extend file|disk full/i.test(output)) {
    return new EmbeddedDatabaseError(
      `the disk holding ${dataDir} is full`,
      'Free some space, or set EMBEDDED_DATABASE_DIR to a folder on another disk',
    );
  }
  if (/Permission denied|Operation not permitted/i.test(output)) {
    return new EmbeddedDatabaseError(
      `PostgreSQL (running as ${runAs}) was refused access: ${significantLine(output)}`,
      `Give ${runAs} access to ${dataDir} (or remove that folder to start afresh), or set EMBEDDED_DATABASE_DIR to a folder it can write`,
    );
  }
  if (/database files are incompatible with server/i.test(output)) {
    return new EmbeddedDatabaseError(
      `${dataDir} was created by another PostgreSQL major version (${significantLine(output)})`,
      'Move that folder away (or dump and restore it with that version), or set EMBEDDED_DATABASE_DIR to another folder',
    );
  }
  if (/lock file .* already exists/i.test(output)) {
    return new EmbeddedDatabaseError(
      `another PostgreSQL is already using ${dataDir} (${significantLine(output)})`,
      'Stop it, or set EMBEDDED_DATABASE_DIR to another folder',
    );
  }
  return new EmbeddedDatabaseError(
    `PostgreSQL did not start: ${significantLine(output) || 'it exited without saying why'}`,
    `See ${dataDir}/tasktracker-postgres.log, or remove ${dataDir} to start afresh (its data is lost)`,
  );
}

/** The FATAL/ERROR/PANIC line (or initdb's `error:` line), else the last non-empty one. */
function significantLine(output: string): string {
  const lines = output.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const telling = lines.find((line) => /\b(FATAL|PANIC|ERROR|error):/.test(line));
  return (telling ?? lines.at(-1) ?? '').replace(/^.*?\b(FATAL|PANIC|ERROR|error):\s*/, '');
}

/** Wraps a filesystem error of ours (mkdir, copy, write) into one line naming the path. */
export function fileSystemFailure(error: unknown, what: string, remedy: string): EmbeddedDatabaseError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') {
    return new EmbeddedDatabaseError(`the disk is full (${what})`, 'Free some space, or set EMBEDDED_DATABASE_DIR to a folder on another disk');
  }
  return new EmbeddedDatabaseError(`${what} failed: ${(error as Error).message ?? String(error)}`, remedy);
}
