import { jest } from '@jest/globals';
import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { newAccountData } from './support/accounts.js';
import { createAppWithEnv } from './faults/support.js';
import { truncateAll } from './support/test-app.js';
import { PasswordHasher } from '../src/users/password-hasher.js';

/** bcrypt as a denial-of-service lever: the registration limit and the hashing cap. */
const register = (app: NestFastifyApplication, remoteAddress: string, payload: object = newAccountData()) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/register', payload, remoteAddress });

const usersNamed = async (app: NestFastifyApplication, username: string) =>
  ((await app.get(MikroORM).em.fork().getConnection().execute('select id from users where username = ?', [username])) as unknown[]).length;

describe('registration limit per address (REGISTER_LIMIT_PER_HOUR)', () => {
  const LIMIT = 3;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createAppWithEnv({ REGISTER_LIMIT_PER_HOUR: String(LIMIT) });
    await truncateAll(app);
  });

  afterAll(async () => {
    await app.close();
  });

  it('counts every attempt, valid or not, then answers 429 with Retry-After before hashing anything', async () => {
    const address = '198.51.100.20';
    expect((await register(app, address)).statusCode).toBe(201);
    expect((await register(app, address, { ...newAccountData(), email: 'not an email' })).statusCode).toBe(400);
    const hashes = jest.spyOn(app.get(PasswordHasher), 'hash');
    expect((await register(app, address)).statusCode).toBe(201);
    expect(hashes).toHaveBeenCalledTimes(1);

    const account = newAccountData();
    const limited = await register(app, address, account);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ status: 429, type: 'urn:tasktracker:problem:too-many-registrations' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(3500);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(hashes).toHaveBeenCalledTimes(1);
    expect(await usersNamed(app, account.username)).toBe(0);
    hashes.mockRestore();
  });

  it('leaves other addresses their own limit', async () => {
    expect((await register(app, '198.51.100.21')).statusCode).toBe(201);
  });

  it('counts IPv6 clients by /64', async () => {
    for (let i = 1; i <= LIMIT; i++) {
      expect((await register(app, `2001:db8:20:1::${i}`)).statusCode).toBe(201);
    }
    expect((await register(app, '2001:db8:20:1:ffff::1')).statusCode).toBe(429);
    expect((await register(app, '2001:db8:20:2::1')).statusCode).toBe(201);
  });
});

describe('password hashing cap (PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE)', () => {
  const CONCURRENCY = 1;
  const QUEUE = 2;
  const FLOOD = 8;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // Cost 13 (~0.5 s a hash here) so every request of the flood reaches the cap while the first hashes.
    app = await createAppWithEnv({
      PASSWORD_HASH_CONCURRENCY: String(CONCURRENCY),
      PASSWORD_HASH_QUEUE: String(QUEUE),
      BCRYPT_COST: '13',
    });
    await truncateAll(app);
  });

  afterAll(async () => {
    await app.close();
  });

  const timed = async (request: Promise<LightMyRequestResponse>) => {
    const started = performance.now();
    const response = await request;
    return { response, ms: performance.now() - started };
  };

  it('runs CONCURRENCY + QUEUE hashes and answers the rest 503 server-busy with Retry-After at once', async () => {
    const results = await Promise.all(
      Array.from({ length: FLOOD }, (_, i) => timed(register(app, `198.51.100.${30 + i}`))),
    );
    const created = results.filter(({ response }) => response.statusCode === 201);
    const busy = results.filter(({ response }) => response.statusCode === 503);
    expect(created).toHaveLength(CONCURRENCY + QUEUE);
    expect(busy).toHaveLength(FLOOD - CONCURRENCY - QUEUE);
    for (const { response } of busy) {
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 503, type: 'urn:tasktracker:problem:server-busy' });
      expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    }
    // Turned away without waiting: every 503 came back before the first account was created.
    const fastestCreated = Math.min(...created.map(({ ms }) => ms));
    expect(Math.max(...busy.map(({ ms }) => ms))).toBeLessThan(fastestCreated);
  });

  it('applies to login comparisons too, and serves again once the queue drains', async () => {
    const account = newAccountData();
    expect((await register(app, '198.51.100.50', account)).statusCode).toBe(201);
    const flood = Array.from({ length: CONCURRENCY + QUEUE }, (_, i) => register(app, `198.51.100.${60 + i}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: account.username, password: account.password },
      remoteAddress: '198.51.100.51',
    });
    expect(login.statusCode).toBe(503);
    expect(login.json()).toMatchObject({ type: 'urn:tasktracker:problem:server-busy' });
    // No password was judged, so the attempt counts against no login-throttle key.
    const failuresCounted = (await app
      .get(MikroORM)
      .em.fork()
      .getConnection()
      .execute("select coalesce(sum(failures), 0)::int as total from login_throttles where key like '%client:198.51.100.51'")) as Array<{ total: number }>;
    expect(failuresCounted[0].total).toBe(0);
    expect((await Promise.all(flood)).map((response) => response.statusCode)).toEqual([201, 201, 201]);

    const later = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: account.username, password: account.password },
      remoteAddress: '198.51.100.51',
    });
    expect(later.statusCode).toBe(200);
  });
});
