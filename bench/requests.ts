import { randomUUID } from 'node:crypto';
import type { Fixture } from './seed.js';
import { PAGE_SIZE } from './seed.js';

/** One HTTP request, as autocannon and fetch both take it. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The i-th request of a stream: rotating users (tokens), tasks and bodies. */
export type RequestStream = (i: number) => RequestSpec;

/**
 * Requests one connection sends in this order, all built from the same index, e.g. DELETE a task
 * and then restore it: the first request's path names what the sequence works on, and no two
 * connections work on the same thing at once (bench/load.ts).
 */
export type RequestSequence = readonly RequestStream[];

export type Route = 'list' | 'sharedList' | 'get' | 'create' | 'idempotentCreate' | 'update' | 'trash' | 'restore' | 'toggleRecurring' | 'firstPage' | 'deepPage' | 'login' | 'register';

/** The register flood comes from this many client addresses (X-Forwarded-For; the API trusts 127.0.0.1). */
export const FLOOD_ADDRESSES = 4;

export const CREATED_TITLE_PREFIX = 'bench new task';
const PRIORITIES = ['low', 'medium', 'high'];
const STATUSES = ['pending', 'in_progress', 'completed'];

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Request streams for every route under load, over the seeded users. */
export function requestStreams(fixture: Fixture): Record<Route, RequestStream> {
  const { users, heavy, member } = fixture;
  // The member's scope=all list: the first page, then each deep page in turn (cursors from bench/seed.ts).
  const sharedPages = [undefined, ...member.sharedCursors];
  const user = (i: number) => users[i % users.length];
  // Distinct per run too: the database keeps the accounts of earlier rounds.
  const run = Date.now().toString(36);
  const dueDate = (i: number) => new Date(Date.UTC(2027, i % 12, 1 + (i % 28), 17)).toISOString();
  const create = (i: number): RequestSpec => ({
    method: 'POST',
    path: '/api/v1/tasks',
    headers: { ...bearer(user(i).token), ...json },
    body: JSON.stringify({
      title: `${CREATED_TITLE_PREFIX} ${i}`,
      description: 'Created by the benchmark',
      priority: PRIORITIES[i % 3],
      dueDate: dueDate(i),
      categoryId: user(i).categoryId,
    }),
  });
  return {
    list: (i) => ({ method: 'GET', path: `/api/v1/tasks?limit=${PAGE_SIZE}`, headers: bearer(user(i).token) }),
    sharedList: (i) => {
      const cursor = sharedPages[i % sharedPages.length];
      return { method: 'GET', path: `/api/v1/tasks?limit=${PAGE_SIZE}&scope=all${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(member.token) };
    },
    get: (i) => ({ method: 'GET', path: `/api/v1/tasks/${user(i).taskId}`, headers: bearer(user(i).token) }),
    create,
    // The same create under a fresh Idempotency-Key each time: the key's lock, lookup and stored answer.
    idempotentCreate: (i) => {
      const spec = create(i);
      return { ...spec, headers: { ...spec.headers, 'idempotency-key': randomUUID() } };
    },
    // Each user's own task: ten connections never write the same row at once (no version conflicts).
    update: (i) => ({
      method: 'PATCH',
      path: `/api/v1/tasks/${user(i).taskId}`,
      headers: { ...bearer(user(i).token), ...json },
      body: JSON.stringify({ title: `Renamed task ${i}`, status: STATUSES[i % 3], priority: PRIORITIES[(i + 1) % 3] }),
    }),
    // DELETE moves the user's task to the trash, POST restore brings it back: run as a pair.
    trash: (i) => ({ method: 'DELETE', path: `/api/v1/tasks/${user(i).taskId}`, headers: bearer(user(i).token) }),
    restore: (i) => ({ method: 'POST', path: `/api/v1/tasks/${user(i).taskId}/restore`, headers: bearer(user(i).token) }),
    // Completing the user's daily task: an occurrence recorded, the due date a day later, still pending.
    toggleRecurring: (i) => ({ method: 'POST', path: `/api/v1/tasks/${user(i).recurringTaskId}/toggle`, headers: bearer(user(i).token) }),
    firstPage: () => ({ method: 'GET', path: `/api/v1/tasks?limit=${PAGE_SIZE}`, headers: bearer(heavy.token) }),
    deepPage: () => ({
      method: 'GET',
      path: `/api/v1/tasks?limit=${PAGE_SIZE}&cursor=${fixture.deepCursor}`,
      headers: bearer(heavy.token),
    }),
    login: (i) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: json,
      body: JSON.stringify({ login: user(i).login, password: fixture.password }),
    }),
    register: (i) => ({
      method: 'POST',
      path: '/api/v1/auth/register',
      headers: { ...json, 'x-forwarded-for': `203.0.113.${1 + (i % FLOOD_ADDRESSES)}` },
      body: JSON.stringify({
        email: `flood.${run}.${i}@example.com`,
        username: `flood_${run}_${i}`,
        name: 'Flood',
        password: `a flood passphrase ${run} ${i}`,
      }),
    }),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Sends one request with fetch (verification and statement counts; the load uses autocannon). */
export async function send(baseUrl: string, spec: RequestSpec): Promise<Reply> {
  const response = await fetch(baseUrl + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}
