import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { accountKeyOf, addressKeyOf, pairKeyOf } from '../src/users/login-throttle.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import {
  countStatuses,
  expectThrottled,
  failures,
  freshAddress,
  loginAttempt,
  passwordConfirmations,
  type PasswordConfirmation,
  sql,
} from './support/login-attempts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * The login throttle with its default limits: 10 failures per account and address, 100 per
 * address, 100 per account, in 15 minutes. The tiers with small configured limits:
 * auth-throttling-tiers.e2e-spec.ts.
 */
let app: NestFastifyApplication;

const attempt = (login: string, password: string, remoteAddress: string, headers: Record<string, string> = {}) =>
  loginAttempt(app, login, password, remoteAddress, headers);

/** `count` wrong passwords for `login` from `remoteAddress`, each answered 401. */
async function fail(login: string, count: number, remoteAddress: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await attempt(login, `wrong password #${i}`, remoteAddress);
    expect(response.statusCode).toBe(401);
  }
}

const pairFailures = (account: TestAccount, address: string) => failures(app, pairKeyOf({ userId: account.id }, address));
const accountFailures = (account: TestAccount) => failures(app, accountKeyOf({ userId: account.id }));

let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
});

beforeEach(async () => {
  await sql(app, 'truncate table login_throttles');
  alice = await registerAndLogin(app);
  bob = await registerAndLogin(app);
});

afterAll(async () => {
  await app.close();
});

describe('per account and address: 10 failures in 15 minutes', () => {
  it('answers 429 with Retry-After on the 11th attempt from that address, even with the right password', async () => {
    const address = freshAddress();
    await fail(alice.username, 10, address);
    expect(await pairFailures(alice, address)).toBe(10);

    expectThrottled(await attempt(alice.username, alice.password, address));
    expectThrottled(await attempt(alice.email.toUpperCase(), alice.password, address));
    const sessions = await sql(app, 'select id from sessions where user_id = ?', [alice.id]);
    expect(sessions).toHaveLength(1);
    // A refused attempt was not compared, so it counts nowhere.
    expect(await pairFailures(alice, address)).toBe(10);
    expect(await accountFailures(alice)).toBe(10);

    expect((await attempt(bob.username, bob.password, address)).statusCode).toBe(200);
  });

  it('still lets the 10th attempt through (the limit is 10 failures, not fewer)', async () => {
    const address = freshAddress();
    await fail(alice.username, 9, address);
    expect((await attempt(alice.username, alice.password, address)).statusCode).toBe(200);
  });

  it('counts one account whether the login names it by email or by username', async () => {
    const address = freshAddress();
    await fail(alice.email, 5, address);
    await fail(alice.username.toUpperCase(), 5, address);
    expectThrottled(await attempt(alice.email, alice.password, address));
    expectThrottled(await attempt(alice.username, alice.password, address));
  });

  it("clears that pair's count on a right password, and gives back the attempt's reservation elsewhere", async () => {
    const address = freshAddress();
    await fail(alice.username, 9, address);
    expect((await attempt(alice.username, alice.password, address)).statusCode).toBe(200);
    expect(await pairFailures(alice, address)).toBeUndefined();
    // The account-wide and address counts keep the 9 failures: only the success is not one.
    expect(await accountFailures(alice)).toBe(9);
    expect(await failures(app, addressKeyOf(address))).toBe(9);

    await fail(alice.username, 9, address);
    expect((await attempt(alice.username, alice.password, address)).statusCode).toBe(200);
  });

  it('starts a new window once the 15 minutes are over', async () => {
    const address = freshAddress();
    await fail(alice.username, 10, address);
    expectThrottled(await attempt(alice.username, alice.password, address));
    await sql(app, `update login_throttles set window_started_at = now() - interval '16 minutes'`);
    expect((await attempt(alice.username, alice.password, address)).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const address = freshAddress();
    for (let i = 0; i < 10; i++) {
      const response = await attempt(alice.username, 'guess', address, { 'x-forwarded-for': `192.0.2.${i + 1}` });
      expect(response.statusCode).toBe(401);
    }
    expectThrottled(await attempt(alice.username, alice.password, address, { 'x-forwarded-for': '192.0.2.200' }));
  });
});

describe('no stranger can lock an owner out', () => {
  it('lets the owner log in from another address while an attacker at one address keeps failing', async () => {
    const attacker = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(alice.username, `attacker guess #${i}`, attacker)),
    );
    expect(countStatuses(answers)).toEqual({ 401: 10, 429: 20 });

    const owner = freshAddress();
    const login = await attempt(alice.username, alice.password, owner);
    expect(login.statusCode).toBe(200);
    expect(login.json().accessToken).toEqual(expect.any(String));
    // The attacker's refused attempts did not count towards the account-wide ceiling.
    expect(await accountFailures(alice)).toBe(10);
    expectThrottled(await attempt(alice.username, alice.password, attacker));
    const confirmation = await passwordConfirmations['PUT /users/me/password'](app, alice, alice.password, owner);
    expect(confirmation.statusCode).toBe(204);
  });
});

describe('per address, across accounts: 100 failures in 15 minutes', () => {
  it('lets 100 people behind one address mistype before it answers 429; other addresses are unaffected', async () => {
    const office = freshAddress();
    const nobody = Date.now().toString(36);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => attempt(`nobody_${nobody}_${i}`, `guess #${i}`, office)),
    );
    expect(countStatuses(answers)).toEqual({ 401: 100 });
    expect(await failures(app, addressKeyOf(office))).toBe(100);

    expectThrottled(await attempt(alice.username, alice.password, office));
    expectThrottled(await attempt(`someone_new_${nobody}`, 'any password', office));
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
  });
});

describe('atomic counting: concurrent attempts cannot pass the check together', () => {
  it('answers at most 10 of 40 concurrent wrong-password logins with 401, the rest 429 with Retry-After', async () => {
    const address = freshAddress();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => attempt(alice.username, `concurrent guess #${i}`, address)),
    );
    const statuses = countStatuses(answers);
    expect(statuses[401]).toBeLessThanOrEqual(10);
    expect(statuses[401] + statuses[429]).toBe(40);
    answers.filter((answer) => answer.statusCode === 429).forEach((answer) => expectThrottled(answer));
    expect(await pairFailures(alice, address)).toBe(statuses[401]);
  });

  it.each(Object.keys(passwordConfirmations) as PasswordConfirmation[])(
    '%s: at most 10 of 40 concurrent wrong confirmations are judged (400), the rest 429',
    async (route) => {
      const address = freshAddress();
      const answers: LightMyRequestResponse[] = await Promise.all(
        Array.from({ length: 40 }, (_, i) => passwordConfirmations[route](app, alice, `concurrent guess #${i}`, address)),
      );
      const statuses = countStatuses(answers);
      expect(statuses[400]).toBeLessThanOrEqual(10);
      expect(statuses[400] + statuses[429]).toBe(40);
      answers.filter((answer) => answer.statusCode === 429).forEach((answer) => expectThrottled(answer));
      expect(await pairFailures(alice, address)).toBe(statuses[400]);
      const [user] = await sql<{ email: string }>(app, 'select email from users where id = ?', [alice.id]);
      expect(user.email).toBe(alice.email);
    },
  );
});

describe('password confirmations share the budget with logins', () => {
  it('counts wrong confirmations against the account and address: a stolen token cannot guess the password', async () => {
    const address = freshAddress();
    for (let i = 0; i < 5; i++) {
      expect((await passwordConfirmations['PUT /users/me/password'](app, alice, `guess #${i}`, address)).statusCode).toBe(400);
      expect((await passwordConfirmations['DELETE /users/me'](app, alice, `guess #${i}`, address)).statusCode).toBe(400);
    }
    expect(await pairFailures(alice, address)).toBe(10);

    expectThrottled(await passwordConfirmations['PUT /users/me/password'](app, alice, alice.password, address));
    expectThrottled(await passwordConfirmations['DELETE /users/me'](app, alice, alice.password, address));
    expectThrottled(await passwordConfirmations['PATCH /users/me (new email)'](app, alice, alice.password, address));
    expectThrottled(await attempt(alice.username, alice.password, address));
    const [user] = await sql(app, 'select id from users where id = ?', [alice.id]);
    expect(user).toBeDefined();
    expect((await passwordConfirmations['PUT /users/me/password'](app, bob, bob.password, address)).statusCode).toBe(204);
  });

  it('a right confirmation clears the pair count left by failed logins', async () => {
    const address = freshAddress();
    await fail(alice.username, 9, address);
    expect((await passwordConfirmations['PUT /users/me/password'](app, alice, alice.password, address)).statusCode).toBe(204);
    expect(await pairFailures(alice, address)).toBeUndefined();
  });
});

describe('storage', () => {
  it('never stores a login that names no account, only its SHA-256, so a key fits whatever was typed', async () => {
    const address = freshAddress();
    const typed = `Ü${'x'.repeat(254)}`;
    expect((await attempt(typed, 'a password', address)).statusCode).toBe(401);
    const keys = (await sql<{ key: string }>(app, 'select key from login_throttles')).map((row) => row.key);
    expect(keys).toContain(accountKeyOf({ unknownLogin: typed }));
    expect(keys.join(' ')).not.toContain('xxxxxxxx');
  });

  it('keeps the counts in the login_throttles table: per account and address, per address, per account', async () => {
    const address = freshAddress();
    await fail(alice.email.toUpperCase(), 3, address);
    await fail(`Nobody_${alice.username}`, 2, address);
    const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : 1);
    const rows = await sql<{ key: string; failures: number }>(app, 'select key, failures from login_throttles where failures > 0');
    expect(rows.sort(byKey)).toEqual(
      [
        { key: `account:user:${alice.id}`, failures: 3 },
        { key: `account:user:${alice.id}|client:${address}`, failures: 3 },
        { key: accountKeyOf({ unknownLogin: `nobody_${alice.username}` }), failures: 2 },
        { key: pairKeyOf({ unknownLogin: `nobody_${alice.username}` }, address), failures: 2 },
        { key: `client:${address}`, failures: 5 },
      ].sort(byKey),
    );
  });
});
