import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { login, newAccountData, registerAndLogin } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

let app: NestFastifyApplication;

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const getMe = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers });
const postLogin = (loginName: string, password: string, remoteAddress?: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login: loginName, password },
    ...(remoteAddress ? { remoteAddress } : {}),
  });

function expectUnauthenticated(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(response.json()).toMatchObject({ title: 'Unauthorized', status: 401, detail: expect.any(String) });
}

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
});

// Failed logins here all come from 127.0.0.1; the throttle has its own file.
beforeEach(async () => {
  await sql('truncate table login_throttles');
});

afterAll(async () => {
  await app.close();
});

describe('register, login and logout', () => {
  it('registers an account and answers the public shape of the user, never its hash', async () => {
    const data = newAccountData({ email: `Mixed.${Date.now()}@Example.COM` });
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: data });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(Object.keys(body).sort()).toEqual(
      ['createdAt', 'email', 'emailVerified', 'id', 'isActive', 'name', 'updatedAt', 'username'].sort(),
    );
    expect(body).toMatchObject({ email: data.email.toLowerCase(), username: data.username, name: data.name, isActive: true, emailVerified: false });
    const [row] = await sql<{ password_hash: string }>('select password_hash from users where id = ?', [body.id]);
    expect(response.body).not.toContain(row.password_hash);
    expect(response.body).not.toMatch(/password/i);
  });

  it('answers 409 naming the field when the email or the username is taken, whatever its case', async () => {
    const first = newAccountData();
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: first })).statusCode).toBe(201);

    const sameEmail = newAccountData({ email: first.email.toUpperCase() });
    const emailTaken = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: sameEmail });
    expect(emailTaken.statusCode).toBe(409);
    expect(emailTaken.headers['content-type']).toContain('application/problem+json');
    expect(emailTaken.json().errors).toEqual([{ field: 'email', message: expect.any(String) }]);

    const sameUsername = newAccountData({ username: first.username.toUpperCase() });
    const usernameTaken = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: sameUsername });
    expect(usernameTaken.statusCode).toBe(409);
    expect(usernameTaken.json().errors).toEqual([{ field: 'username', message: expect.any(String) }]);
    const [{ count }] = await sql<{ count: number }>('select count(*)::int as count from users where email in (?, ?)', [
      sameEmail.email.toLowerCase(),
      sameUsername.email.toLowerCase(),
    ]);
    expect(count).toBe(1);
  });

  it('logs in with the email or the username in any case and answers a bearer token', async () => {
    const data = newAccountData();
    const registered = (await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: data })).json();
    for (const loginName of [data.email, data.email.toUpperCase(), data.username, data.username.toUpperCase(), `  ${data.username}  `]) {
      const response = await postLogin(loginName, data.password);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresAt: expect.any(String), user: registered });
      const [session] = await sql<{ expires_at: Date }>('select expires_at from sessions where token_hash = ?', [
        sha256Hex(body.accessToken),
      ]);
      expect(new Date(body.expiresAt).getTime()).toBe(new Date(session.expires_at).getTime());
      expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());
      expect((await getMe(bearer(body.accessToken))).json()).toEqual(registered);
    }
  });

  it('logs out: 204, then that token answers 401 while the other sessions keep working', async () => {
    const account = await registerAndLogin(app);
    const other = await login(app, account.username, account.password);
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: account.auth });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expectUnauthenticated(await getMe(account.auth));
    expectUnauthenticated(await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: account.auth }));
    expect(await sql('select id from sessions where token_hash = ?', [sha256Hex(account.token)])).toHaveLength(0);
    expect((await getMe(bearer(other))).statusCode).toBe(200);
  });
});

describe('deny by default', () => {
  it.each([
    ['GET', '/api/v1/users/me'],
    ['PATCH', '/api/v1/users/me'],
    ['PUT', '/api/v1/users/me/password'],
    ['DELETE', '/api/v1/users/me'],
    ['GET', '/api/v1/auth/sessions'],
    ['DELETE', '/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000'],
    ['POST', '/api/v1/auth/logout'],
  ] as const)('%s %s without a token answers 401 with WWW-Authenticate: Bearer', async (method, url) => {
    expectUnauthenticated(await app.inject({ method, url }));
  });

  it.each([
    ['garbage', 'Bearer garbage'],
    ['a well-formed unknown token', `Bearer ${'A'.repeat(43)}`],
    ['another scheme', 'Basic dXNlcjpwYXNzd29yZA=='],
    ['an empty bearer', 'Bearer '],
  ])('rejects %s with 401', async (_label, authorization) => {
    expectUnauthenticated(await getMe({ authorization }));
    expectUnauthenticated(await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: { authorization } }));
  });

  it('serves register, login, health and the OpenAPI document without a token', async () => {
    const data = newAccountData();
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: data })).statusCode).toBe(201);
    expect((await postLogin(data.username, data.password)).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/docs-json' })).statusCode).toBe(200);
  });
});

describe('tokens and password storage', () => {
  it('stores only the SHA-256 hex of the token: the raw token is in no column of sessions', async () => {
    const account = await registerAndLogin(app);
    expect(account.token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const rows = await sql('select * from sessions');
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        const text = value instanceof Date ? value.toISOString() : String(value);
        expect(text).not.toContain(account.token);
      }
    }
    const mine = await sql<{ user_id: string; token_hash: string }>('select user_id, token_hash from sessions where user_id = ?', [account.id]);
    expect(mine).toEqual([{ user_id: account.id, token_hash: sha256Hex(account.token) }]);
  });

  it('creates a new session with a different token on every login', async () => {
    const account = await registerAndLogin(app);
    const tokens = [account.token];
    for (let i = 0; i < 3; i++) {
      tokens.push(await login(app, account.email, account.password));
    }
    expect(new Set(tokens).size).toBe(4);
    const rows = await sql<{ token_hash: string }>('select token_hash from sessions where user_id = ?', [account.id]);
    expect(rows.map((row) => row.token_hash).sort()).toEqual(tokens.map(sha256Hex).sort());
    for (const token of tokens) {
      expect((await getMe(bearer(token))).statusCode).toBe(200);
    }
  });

  it('stores the password as a bcrypt hash of cost 10 or more', async () => {
    const account = await registerAndLogin(app);
    const [row] = await sql<{ password_hash: string }>('select password_hash from users where id = ?', [account.id]);
    const match = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/.exec(row.password_hash);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(10);
    expect(row.password_hash).not.toContain(account.password);
  });
});

describe('inactive accounts', () => {
  it('rejects the existing token and the login of a deactivated account like a wrong password', async () => {
    const account = await registerAndLogin(app);
    expect((await getMe(account.auth)).statusCode).toBe(200);
    await sql('update users set is_active = false where id = ?', [account.id]);

    expectUnauthenticated(await getMe(account.auth));
    expectUnauthenticated(await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: account.auth }));
    const inactiveLogin = await postLogin(account.username, account.password);
    const wrongPassword = await postLogin(account.username, `${account.password}-wrong`);
    expect(inactiveLogin.statusCode).toBe(401);
    expect(inactiveLogin.json()).toEqual(wrongPassword.json());
    expect(inactiveLogin.headers['www-authenticate']).toBe(wrongPassword.headers['www-authenticate']);
  });
});

describe('no account enumeration', () => {
  it('answers an unknown login and a wrong password with the same status, headers and body', async () => {
    const account = await registerAndLogin(app);
    const unknown = await postLogin(`nobody.${Date.now()}@example.com`, account.password);
    const wrong = await postLogin(account.email, `${account.password}!`);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.headers['content-type']).toBe(wrong.headers['content-type']);
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
    expect(unknown.json()).toEqual(wrong.json());
    expect(unknown.body).toBe(wrong.body);
  });

  it('spends similar time on both failures (medians within a factor of 3)', async () => {
    const account = await registerAndLogin(app);
    const timed = async (loginName: string, password: string, remoteAddress: string) => {
      const started = performance.now();
      const response = await postLogin(loginName, password, remoteAddress);
      expect(response.statusCode).toBe(401);
      return performance.now() - started;
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const unknownTimes: number[] = [];
    const wrongTimes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const unknown = await timed(`ghost_${i}_${Date.now()}`, 'some password here', `10.77.0.${i + 1}`);
      const wrong = await timed(account.username, `wrong password ${i}`, `10.77.1.${i + 1}`);
      if (i > 0) {
        unknownTimes.push(unknown);
        wrongTimes.push(wrong);
      }
    }
    const ratio = median(unknownTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });
});

describe('OpenAPI security', () => {
  it('declares the bearer scheme on protected operations and none on login or register', async () => {
    const document = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.security ?? []).toEqual([]);
    expect(document.paths['/api/v1/users/me'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/api/v1/auth/sessions'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/api/v1/auth/logout'].post.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/api/v1/auth/login'].post.security ?? []).toEqual([]);
    expect(document.paths['/api/v1/auth/register'].post.security ?? []).toEqual([]);
  });
});
