import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { accountKeyOf } from '../src/users/login-throttle.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { countStatuses, expectThrottled, failures, freshAddress, loginAttempt, sql } from './support/login-attempts.js';
import { truncateAll } from './support/test-app.js';
import { createAppWithEnv } from './faults/support.js';

/** Every limit is configurable: small ones here keep the account-wide ceiling quick to reach. */
const LIMITS = {
  LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: '3',
  LOGIN_FAILURES_PER_ADDRESS: '5',
  LOGIN_FAILURES_PER_ACCOUNT: '7',
  LOGIN_FAILURE_WINDOW: '2m',
};

let app: NestFastifyApplication;
let alice: TestAccount;
let bob: TestAccount;

const attempt = (login: string, password: string, remoteAddress: string) => loginAttempt(app, login, password, remoteAddress);

beforeAll(async () => {
  app = await createAppWithEnv(LIMITS);
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

describe('configured limits (3 per account and address, 5 per address, 7 per account, 2 minutes)', () => {
  it('per account and address: the 4th attempt from that address is refused, with Retry-After within the 2-minute window', async () => {
    const address = freshAddress();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => attempt(alice.username, `guess #${i}`, address)));
    expect(countStatuses(answers)).toEqual({ 401: 3, 429: 5 });
    answers.filter((answer) => answer.statusCode === 429).forEach((answer) => expectThrottled(answer, 120));
    expect((await attempt(alice.username, alice.password, freshAddress())).statusCode).toBe(200);
  });

  it('per address: 5 failures across accounts refuse that address for every account, not others', async () => {
    const address = freshAddress();
    for (const [i, login] of [alice.username, bob.username, 'nobody_a', 'nobody_b', 'nobody_c'].entries()) {
      expect((await attempt(login, `guess #${i}`, address)).statusCode).toBe(401);
    }
    expectThrottled(await attempt(bob.username, bob.password, address), 120);
    expect((await attempt(bob.username, bob.password, freshAddress())).statusCode).toBe(200);
  });

  it('per account: the owner logs in from elsewhere while attackers fail, until the account-wide ceiling of 7', async () => {
    const [first, second, third] = [freshAddress(), freshAddress(), freshAddress()];
    const owner = freshAddress();
    // One attacker: held at 3 by the pair limit, however often it tries; the owner is unaffected.
    const fromFirst = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(alice.username, `guess #${i}`, first)));
    expect(countStatuses(fromFirst)).toEqual({ 401: 3, 429: 7 });
    expect(await failures(app, accountKeyOf({ userId: alice.id }))).toBe(3);
    expect((await attempt(alice.username, alice.password, owner)).statusCode).toBe(200);

    // More addresses reach the ceiling: 3 + 3 + 1 = 7 failures, then every address is refused.
    const fromSecond = await Promise.all(Array.from({ length: 3 }, (_, i) => attempt(alice.username, `guess #${i}`, second)));
    expect(countStatuses(fromSecond)).toEqual({ 401: 3 });
    expect((await attempt(alice.username, 'one more guess', third)).statusCode).toBe(401);
    expect(await failures(app, accountKeyOf({ userId: alice.id }))).toBe(7);
    expectThrottled(await attempt(alice.username, alice.password, owner), 120);
    expectThrottled(await attempt(alice.email, alice.password, freshAddress()), 120);
    expect((await attempt(bob.username, bob.password, owner)).statusCode).toBe(200);
  });
});
