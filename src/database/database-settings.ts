import type { DatabaseSettings } from '../../mikro-orm.config.js';
import type { Environment } from '../config/environment.js';

/** DATABASE_REPLICA_URLS as a list; empty when unset. */
export function replicaUrlsFrom(environment: Environment): string[] {
  return environment.DATABASE_REPLICA_URLS?.split(',').map((url) => url.trim()) ?? [];
}

/** Maps validated environment variables onto the root ORM configuration's settings. */
export function databaseSettingsFrom(environment: Environment, url: string): DatabaseSettings {
  return {
    url,
    replicaUrls: replicaUrlsFrom(environment),
    poolSize: environment.DATABASE_POOL_SIZE,
    maxOverflow: environment.DATABASE_MAX_OVERFLOW,
    acquireTimeoutMs: environment.DATABASE_ACQUIRE_TIMEOUT_MS,
    statementTimeoutMs: environment.DATABASE_STATEMENT_TIMEOUT_MS,
  };
}

/** The URL without its password, safe for logs. */
export function describeDatabaseUrl(url: string): string {
  const parsed = new URL(url);
  parsed.password = parsed.password ? '***' : '';
  return parsed.toString();
}
