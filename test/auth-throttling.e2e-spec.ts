import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

let app: NestFastifyApplication;
let addressSequence = 0;

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

/** A client address no other attempt in this file has used. */
const freshAddress = () => {
  addressSequence++;
  return `10.${(addressSequence >> 16) & 255}.${(addressSequence >> 8) & 255}.${addressSequence & 255}`;
};

const attempt = (login: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password }, remoteAddress, headers });

/** `count` wrong passwords for `login`, each answered 401; each from a new address unless one is given. */
async function fail(login: string, count: number, remoteAddress?: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await attempt(login, `wrong password #${i}`, remoteAddress ?? freshAddress());
    expect(response.statusCode).toBe(401);
  }
}

function expectThrottled(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ title: 'Too Many Requests', status: 429, detail: expect.any(String) });
  const retryAfter = String(response.headers['retry-after']);
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);
  expect(response.body).not.toContain('accessToken');
}

async function failures(key: string): Promise<number | undefined> {
  const [row] = await sql<{ failures: number }>('select failures from login_throttles where key = ?', [key]);
  return row?.failures;
}

let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
});

beforeEach(async () => {
  await sql('truncate table login_throttles');
  alice = await registerAndLogin(app);
  bob = await registerAndLogin(app);
});

afterAll(async () => {
  await app.close();
});

describe('per-account limit', () => {
  it('answers 429 with Retry-After on the 11th attempt after 10 failures, even with the right password', async () => {
    await fail(alice.username, 10);
    expect(await failures(`account:user:${alice.id}`)).toBe(10);

    expectThrottled(await attempt(alice.username, alice.password, freshAddress()));
    expectThrottled(await attempt(alice.username.toUpperCase(), alice.password, freshAddress()));
    const sessions = await sql('select id from sessions where user_id = ?', [alice.id]);
    expect(sessions).toHaveLength(1);

    const other = await attempt(bob.username, bob.password, freshAddress());
    expect(other.statusCode).toBe(200);
    expect(other.json().accessToken).toEqual(expect.any(String));
  });

  it('still lets the 10th attempt through (the limit is 10 failures, not fewer)', async () => {
    await fail(alice.username, 9);
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
  });

  it('counts failures per account whether the login names it by email or by username', async () => {
    await fail(alice.email, 5);
    await fail(alice.username, 5);
    expectThrottled(await attempt(alice.email, alice.password, freshAddress()));
    expectThrottled(await attempt(alice.username, alice.password, freshAddress()));
  });

  it("resets the account's count on a successful login before the limit", async () => {
    await fail(alice.username, 9);
    expect(await failures(`account:user:${alice.id}`)).toBe(9);
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
    expect(await failures(`account:user:${alice.id}`)).toBeUndefined();

    await fail(alice.username, 9);
    expect(await failures(`account:user:${alice.id}`)).toBe(9);
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
  });

  it('starts a new window once the 15 minutes are over', async () => {
    await fail(alice.username, 10);
    expectThrottled(await attempt(alice.username, alice.password, freshAddress()));
    await sql(`update login_throttles set window_started_at = now() - interval '16 minutes'`);
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
  });
});

describe('per-address limit', () => {
  it('answers 429 to one address after 10 failures across different logins; other addresses are unaffected', async () => {
    const guesser = freshAddress();
    const logins = Array.from({ length: 10 }, (_, i) => [alice.username, bob.email, `nobody_${i}_${Date.now()}`][i % 3]);
    for (const [i, login] of logins.entries()) {
      expect((await attempt(login, `guess #${i}`, guesser)).statusCode).toBe(401);
    }
    expect(await failures(`client:${guesser}`)).toBe(10);
    expect(await failures(`account:user:${alice.id}`)).toBeLessThan(10);

    expectThrottled(await attempt(alice.username, alice.password, guesser));
    expectThrottled(await attempt(`someone_new_${Date.now()}`, 'any password', guesser));

    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
    expect((await attempt(bob.email, bob.password, freshAddress())).statusCode).toBe(200);
  });

  it('does not reset the address count on a success (it may be guessing other accounts)', async () => {
    const guesser = freshAddress();
    await fail(`nobody_${Date.now()}`, 9, guesser);
    expect((await attempt(alice.username, alice.password, guesser)).statusCode).toBe(200);
    await fail(`nobody_else_${Date.now()}`, 1, guesser);
    expectThrottled(await attempt(bob.username, bob.password, guesser));
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const guesser = freshAddress();
    for (let i = 0; i < 10; i++) {
      const response = await attempt(`nobody_${i}_${Date.now()}`, 'guess', guesser, { 'x-forwarded-for': `192.0.2.${i + 1}` });
      expect(response.statusCode).toBe(401);
    }
    expectThrottled(await attempt(alice.username, alice.password, guesser, { 'x-forwarded-for': '192.0.2.200' }));
  });
});

describe('password confirmations (PUT /users/me/password, DELETE /users/me)', () => {
  const changePassword = (account: TestAccount, currentPassword: string, remoteAddress: string) =>
    app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: account.auth,
      payload: { currentPassword, newPassword: 'a fresh passphrase 2026' },
      remoteAddress,
    });
  const deleteAccount = (account: TestAccount, password: string, remoteAddress: string) =>
    app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: account.auth, payload: { password }, remoteAddress });

  it('count wrong passwords against the account: a stolen token cannot guess the password', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await changePassword(alice, `guess #${i}`, freshAddress())).statusCode).toBe(400);
      expect((await deleteAccount(alice, `guess #${i}`, freshAddress())).statusCode).toBe(400);
    }
    expect(await failures(`account:user:${alice.id}`)).toBe(10);

    expectThrottled(await changePassword(alice, alice.password, freshAddress()));
    expectThrottled(await deleteAccount(alice, alice.password, freshAddress()));
    expectThrottled(await attempt(alice.username, alice.password, freshAddress()));
    const [user] = await sql('select id from users where id = ?', [alice.id]);
    expect(user).toBeDefined();
    expect((await changePassword(bob, bob.password, freshAddress())).statusCode).toBe(204);
  });

  it('share the budget with failed logins, and a right password resets the account count', async () => {
    await fail(alice.username, 9);
    expect((await changePassword(alice, alice.password, freshAddress())).statusCode).toBe(204);
    expect(await failures(`account:user:${alice.id}`)).toBeUndefined();
  });
});

describe('storage', () => {
  it('keeps the counts in the login_throttles table, one row per account and per address', async () => {
    const address = freshAddress();
    await fail(alice.email.toUpperCase(), 3, address);
    const rows = await sql<{ key: string; failures: number }>('select key, failures from login_throttles order by key');
    expect(rows).toEqual([
      { key: `account:user:${alice.id}`, failures: 3 },
      { key: `client:${address}`, failures: 3 },
    ]);
  });
});
