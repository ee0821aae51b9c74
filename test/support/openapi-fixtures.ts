import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { HttpMethod } from './openapi-contract.js';

/** Raw SQL on the application's own connection (reads and checks only). */
export async function sql<T = Record<string, unknown>>(app: NestFastifyApplication, query: string, params: unknown[] = []): Promise<T[]> {
  return app.get(MikroORM).em.getConnection().execute(query, params) as Promise<T[]>;
}

const SNAPSHOT_TABLES = ['users', 'sessions', 'categories', 'tasks'] as const;

/** Every row of the data tables as text, ordered: equal snapshots mean byte-for-byte equal data. */
export async function snapshotTables(app: NestFastifyApplication): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  for (const table of SNAPSHOT_TABLES) {
    const rows = await sql<{ row: string }>(app, `select t::text as row from "${table}" t order by id`);
    snapshot[table] = rows.map((r) => r.row);
  }
  return snapshot;
}

export async function rowCounts(app: NestFastifyApplication): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of SNAPSHOT_TABLES) {
    counts[table] = (await sql<{ n: number }>(app, `select count(*)::int as n from "${table}"`))[0].n;
  }
  return counts;
}

export interface SendOptions {
  authorization?: string;
  /** A JS value sent as JSON, or a string sent as it is (raw JSON text). */
  payload?: unknown;
  headers?: Record<string, string>;
}

/** One request through `inject`; bodies are JSON (raw text is sent untouched). */
export function send(app: NestFastifyApplication, method: HttpMethod, url: string, options: SendOptions = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  let payload: string | undefined;
  if (options.payload !== undefined) {
    payload = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload);
    headers['content-type'] ??= 'application/json';
  }
  return app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
}

export const bearer = (token: string) => `Bearer ${token}`;
