import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createAppWithEnv } from './faults/support.js';
import { freePort } from './support/free-port.js';
import { createTestApp, truncateAll } from './support/test-app.js';

const BUDGET = 8;
let app: NestFastifyApplication;
let alice: TestAccount;
let bob: TestAccount;

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = String(BUDGET);
  app = await createTestApp();
  await truncateAll(app);
  // Registration and login spend budget from distinct client addresses, not the users'.
  alice = await registerAndLogin(app);
  bob = await registerAndLogin(app);
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

describe('per-user rate limit', () => {
  it('counts down in RateLimit-* headers, then answers 429 problem+json with Retry-After', async () => {
    const remaining: number[] = [];
    for (let i = 0; i < BUDGET; i++) {
      const response = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: alice.auth });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe(String(BUDGET));
      remaining.push(Number(response.headers['ratelimit-remaining']));
    }
    expect(remaining).toEqual(Array.from({ length: BUDGET }, (_, i) => BUDGET - 1 - i));

    const limited = await app.inject({ method: 'GET', url: '/api/v1/categories', headers: alice.auth });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ status: 429, type: 'urn:tasktracker:problem:rate-limited' });
  });

  it('keeps other users within their own budget', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: bob.auth });
    expect(response.statusCode).toBe(200);
    expect(response.headers['ratelimit-remaining']).toBe(String(BUDGET - 1));
  });

  it("checks the token before the user's budget: no token is 401, spent from the address's budget", async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/tasks', remoteAddress: '192.0.2.9' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['ratelimit-remaining']).toBe(String(BUDGET - 1));
    const bobs = await app.inject({ method: 'GET', url: '/api/v1/tasks', headers: bob.auth });
    expect(bobs.headers['ratelimit-remaining']).toBe(String(BUDGET - 2));
  });
});

describe('health probes', () => {
  it('are never rate limited', async () => {
    for (let i = 0; i < BUDGET + 2; i++) {
      const response = await app.inject({ method: 'GET', url: '/health/live' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('with REDIS_URL set but Redis unreachable', () => {
  it('keeps serving and limiting, counting in process memory', async () => {
    const nobodyListens = `redis://127.0.0.1:${await freePort()}`;
    const isolated = await createAppWithEnv({ REDIS_URL: nobodyListens, RATE_LIMIT_PER_MINUTE: String(BUDGET) });
    try {
      const carol = await registerAndLogin(isolated);
      const statuses: number[] = [];
      for (let i = 0; i <= BUDGET; i++) {
        statuses.push((await isolated.inject({ method: 'GET', url: '/api/v1/tasks', headers: carol.auth })).statusCode);
      }
      expect(statuses).toEqual([...Array.from({ length: BUDGET }, () => 200), 429]);
    } finally {
      await isolated.close();
    }
  });
});
