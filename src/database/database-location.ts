import type { Environment } from '../config/environment.js';
import { describeDatabaseUrl } from './database-settings.js';
import { startEmbeddedDatabase } from './embedded-database.js';

export interface DatabaseLocation {
  url: string;
  /** For the startup log: which database this process uses. */
  description: string;
  embedded: boolean;
  /** Stops the embedded server; nothing to do for an external one. */
  release(): Promise<void>;
}

/** `DATABASE_URL` when set, otherwise an embedded PostgreSQL kept under EMBEDDED_DATABASE_DIR. */
export async function locateDatabase(environment: Environment): Promise<DatabaseLocation> {
  if (environment.DATABASE_URL) {
    return {
      url: environment.DATABASE_URL,
      description: `PostgreSQL at ${describeDatabaseUrl(environment.DATABASE_URL)}`,
      embedded: false,
      release: async () => undefined,
    };
  }
  const embedded = await startEmbeddedDatabase({
    dataDir: environment.EMBEDDED_DATABASE_DIR,
    port: environment.EMBEDDED_DATABASE_PORT,
    databaseName: 'tasktracker',
  });
  const where = embedded.relocatedFrom
    ? `data in ${embedded.dataDir}, since the postgres OS user cannot reach ${embedded.relocatedFrom}`
    : `data in ${embedded.dataDir}`;
  const whose = embedded.shared ? 'the embedded PostgreSQL already running for this checkout' : 'embedded PostgreSQL';
  return {
    url: embedded.url,
    description: `${whose} at ${describeDatabaseUrl(embedded.url)} (${where})`,
    embedded: true,
    release: () => embedded.stop(),
  };
}
