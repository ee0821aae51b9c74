import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { registerAndLogin, type TestAccount } from '../support/accounts.js';
import { createTestApp } from '../support/test-app.js';

/** Run by `npm run test:redis` (and .ci/run) when a Redis server is reachable. */
const BUDGET = 6;
let first: NestFastifyApplication;
let second: NestFastifyApplication;
let account: TestAccount;

beforeAll(async () => {
  process.env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  process.env.RATE_LIMIT_PER_MINUTE = String(BUDGET);
  // Counters outlive the process in Redis: start this client address from a clean slate.
  const redis = new Redis(process.env.REDIS_URL);
  await redis.del('tasktracker-rate:client:127.0.0.1');
  await redis.quit();
  first = await createTestApp();
  second = await createTestApp();
  account = await registerAndLogin(first);
});

afterAll(async () => {
  delete process.env.REDIS_URL;
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await first.close();
  await second.close();
});

it('two API instances share one user budget through Redis', async () => {
  for (let i = 0; i < BUDGET / 2; i++) {
    expect((await first.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth })).statusCode).toBe(200);
  }
  const onSecond = await second.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth });
  expect(onSecond.statusCode).toBe(200);
  expect(onSecond.headers['ratelimit-remaining']).toBe(String(BUDGET / 2 - 1));
  for (let i = 0; i < BUDGET / 2 - 1; i++) {
    expect((await second.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth })).statusCode).toBe(200);
  }
  const limited = await first.inject({ method: 'GET', url: '/api/v1/tasks', headers: account.auth });
  expect(limited.statusCode).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
});
