import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createAppWithEnv } from './faults/support.js';
import { truncateAll } from './support/test-app.js';

/**
 * Requests that fail authentication spend their client address's budget (RATE_LIMIT_PER_MINUTE,
 * the same counter public routes spend); past it they answer 429 before any session lookup.
 */
const BUDGET = 5;
const FORGED = { authorization: `Bearer ${'f'.repeat(43)}` };
let app: NestFastifyApplication;
let alice: TestAccount;
/** Connections checked out of the pool: every query needs one, so 0 means no database work. */
let connectionsUsed = 0;

beforeAll(async () => {
  app = await createAppWithEnv({ RATE_LIMIT_PER_MINUTE: String(BUDGET) });
  await truncateAll(app);
  alice = await registerAndLogin(app, {});
  const em = app.get(MikroORM).em as EntityManager;
  const pool = await em.getConnection().getNativeClient();
  pool.on('acquire', () => connectionsUsed++);
});

afterAll(async () => {
  await app.close();
});

const get = (remoteAddress: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: '/api/v1/tasks', headers, remoteAddress });

/** The statuses of `count` requests, and how many pool connections they used. */
async function send(count: number, request: () => Promise<LightMyRequestResponse>) {
  const before = connectionsUsed;
  const responses: LightMyRequestResponse[] = [];
  for (let i = 0; i < count; i++) {
    responses.push(await request());
  }
  return { statuses: responses.map((response) => response.statusCode), responses, connections: connectionsUsed - before };
}

function expectRateLimited(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ status: 429, type: 'urn:tasktracker:problem:rate-limited' });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(response.headers['retry-after'])).toBeLessThanOrEqual(60);
}

describe('forged bearer tokens', () => {
  it('answer 401 within the address budget, then 429 without a database query', async () => {
    const address = '198.51.100.1';
    const within = await send(BUDGET, () => get(address, FORGED));
    expect(within.statuses).toEqual(Array.from({ length: BUDGET }, () => 401));
    // The counter works: each forged token was looked up.
    expect(within.connections).toBeGreaterThanOrEqual(BUDGET);

    const past = await send(20, () => get(address, FORGED));
    expect(past.statuses).toEqual(Array.from({ length: 20 }, () => 429));
    expectRateLimited(past.responses[0]);
    expect(past.connections).toBe(0);
  });

  it('leave other addresses, and users with valid tokens elsewhere, alone', async () => {
    expect((await get('198.51.100.2', FORGED)).statusCode).toBe(401);
    expect((await get('198.51.100.3', alice.auth)).statusCode).toBe(200);
  });

  it('turn away even a valid token from a spent address: it cannot be told apart without the lookup', async () => {
    const address = '198.51.100.4';
    await send(BUDGET, () => get(address, FORGED));
    const { statuses, connections } = await send(1, () => get(address, alice.auth));
    expect(statuses).toEqual([429]);
    expect(connections).toBe(0);
  });
});

describe('requests without a token', () => {
  it('spend the same budget: after it, a forged token answers 429 unlooked-up', async () => {
    const address = '198.51.100.5';
    expect((await send(BUDGET, () => get(address))).statuses).toEqual(Array.from({ length: BUDGET }, () => 401));
    const { responses, connections } = await send(1, () => get(address, FORGED));
    expectRateLimited(responses[0]);
    expect(connections).toBe(0);
    expectRateLimited(await get(address));
  });
});

describe('IPv6 clients', () => {
  it('share one budget per /64', async () => {
    for (let i = 1; i <= BUDGET; i++) {
      expect((await get(`2001:db8:5:6::${i.toString(16)}`, FORGED)).statusCode).toBe(401);
    }
    const { responses, connections } = await send(1, () => get('2001:db8:5:6:ffff::99', FORGED));
    expectRateLimited(responses[0]);
    expect(connections).toBe(0);
    expect((await get('2001:db8:5:7::1', FORGED)).statusCode).toBe(401);
  });
});
