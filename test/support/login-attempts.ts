import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { TestAccount } from './accounts.js';

let addressSequence = 0;

/** A client address no other attempt in this test process has used. */
export const freshAddress = () => {
  addressSequence++;
  return `10.${(addressSequence >> 16) & 255}.${(addressSequence >> 8) & 255}.${addressSequence & 255}`;
};

export async function sql<T = Record<string, unknown>>(app: NestFastifyApplication, query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

/** The failures counted under one throttle key, undefined when it has no row. */
export async function failures(app: NestFastifyApplication, key: string): Promise<number | undefined> {
  const [row] = await sql<{ failures: number }>(app, 'select failures from login_throttles where key = ?', [key]);
  return row?.failures;
}

export const loginAttempt = (
  app: NestFastifyApplication,
  login: string,
  password: string,
  remoteAddress: string,
  headers: Record<string, string> = {},
) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password }, remoteAddress, headers });

/** The routes that confirm the caller's password, each sent with `password` as that confirmation. */
export const passwordConfirmations = {
  'PUT /users/me/password': (app: NestFastifyApplication, account: TestAccount, password: string, remoteAddress: string) =>
    app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: account.auth,
      payload: { currentPassword: password, newPassword: 'a fresh passphrase 2026' },
      remoteAddress,
    }),
  'DELETE /users/me': (app: NestFastifyApplication, account: TestAccount, password: string, remoteAddress: string) =>
    app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: account.auth, payload: { password }, remoteAddress }),
  'PATCH /users/me (new email)': (app: NestFastifyApplication, account: TestAccount, password: string, remoteAddress: string) =>
    app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: account.auth,
      payload: { email: `moved.${account.username}@example.com`, currentPassword: password },
      remoteAddress,
    }),
};

export type PasswordConfirmation = keyof typeof passwordConfirmations;

/** 429 problem+json with a Retry-After of whole seconds within the window, and no token. */
export function expectThrottled(response: LightMyRequestResponse, windowSeconds = 15 * 60): void {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ title: 'Too Many Requests', status: 429, detail: expect.any(String) });
  const retryAfter = String(response.headers['retry-after']);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeLessThanOrEqual(windowSeconds);
  expect(response.body).not.toContain('accessToken');
}

/** How many answers had each status, e.g. `{ 401: 10, 429: 30 }`. */
export function countStatuses(responses: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) {
    counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  }
  return counts;
}
