import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { newAccountData } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

let app: NestFastifyApplication;

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

const register = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: payload as object });
const postLogin = (login: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password } });

async function usersWithEmail(email: string): Promise<number> {
  const [{ count }] = await sql<{ count: number }>('select count(*)::int as count from users where email = ?', [email.toLowerCase()]);
  return count;
}

/** A 400 problem whose `errors` name exactly the given fields. */
function expectInvalid(response: LightMyRequestResponse, ...fields: string[]): void {
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = response.json();
  expect(body).toMatchObject({ title: 'Bad Request', status: 400, detail: expect.any(String) });
  expect([...new Set(body.errors.map((error: { field: string }) => error.field))].sort()).toEqual([...fields].sort());
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

describe('password rules', () => {
  it('rejects 7 characters and accepts 8', async () => {
    const short = newAccountData({ password: 'x7Kq!2z' });
    expectInvalid(await register(short), 'password');
    expect(await usersWithEmail(short.email)).toBe(0);
    expect((await register(newAccountData({ password: 'x8Kq!2zP' }))).statusCode).toBe(201);
  });

  it('accepts 128 characters and rejects 129', async () => {
    const longest = 'Ab1-'.repeat(32);
    expect(longest).toHaveLength(128);
    const accepted = newAccountData({ password: longest });
    expect((await register(accepted)).statusCode).toBe(201);
    expect((await postLogin(accepted.username, longest)).statusCode).toBe(200);
    expectInvalid(await register(newAccountData({ password: `${longest}Z` })), 'password');
  });

  it.each(['password123', 'qwerty123', 'QWERTY123'])('rejects the common password %s', async (password) => {
    const data = newAccountData({ password });
    const response = await register(data);
    expectInvalid(response, 'password');
    expect(await usersWithEmail(data.email)).toBe(0);
  });

  it('allows spaces and Unicode, and uses the password exactly as given', async () => {
    const password = '  Grüße aus Köln, 東京 ✓  ';
    const data = newAccountData({ password });
    expect((await register(data)).statusCode).toBe(201);
    expect((await postLogin(data.email, password)).statusCode).toBe(200);
    expect((await postLogin(data.email, password.trim())).statusCode).toBe(401);
  });

  it('registers and logs in with a password of 64 emoji, counted as 64 characters', async () => {
    const password = '🔐'.repeat(64);
    const data = newAccountData({ password });
    expect((await register(data)).statusCode).toBe(201);
    expect((await postLogin(data.username, password)).statusCode).toBe(200);
    expect((await postLogin(data.username, '🔐'.repeat(63))).statusCode).toBe(401);
    expectInvalid(await register(newAccountData({ password: '🔐'.repeat(7) })), 'password');
  });

  it('does not truncate: the first 72 bytes of an 80-byte password do not log in', async () => {
    const password = `${'k9-Z'.repeat(18)}tail8byt`;
    expect(Buffer.byteLength(password)).toBe(80);
    const data = newAccountData({ password });
    expect((await register(data)).statusCode).toBe(201);
    expect((await postLogin(data.username, password.slice(0, 72))).statusCode).toBe(401);
    expect((await postLogin(data.username, `${password.slice(0, 72)}tail8byX`)).statusCode).toBe(401);
    expect((await postLogin(data.username, password)).statusCode).toBe(200);
  });
});

describe('input validation', () => {
  it.each([
    ['malformed', 'not-an-email'],
    ['shorter than 5', 'a@b'],
    ['longer than 255', `${'a'.repeat(60)}@${`${'b'.repeat(60)}.`.repeat(3)}${'c'.repeat(13)}.example.com`],
  ])('rejects an email %s with 400 naming email', async (_label, email) => {
    if (_label === 'longer than 255') {
      expect(email.length).toBeGreaterThan(255);
    }
    const response = await register(newAccountData({ email }));
    expectInvalid(response, 'email');
  });

  it.each([
    ['with a space', 'has space'],
    ['of 2 characters', 'ab'],
    ['of 51 characters', 'u'.repeat(51)],
  ])('rejects a username %s with 400 naming username', async (_label, username) => {
    const data = newAccountData({ username });
    expectInvalid(await register(data), 'username');
    expect(await usersWithEmail(data.email)).toBe(0);
  });

  it('accepts usernames of 3 and 50 characters', async () => {
    expect((await register(newAccountData({ username: `u${Date.now().toString(36).slice(-2)}` }))).statusCode).toBe(201);
    expect((await register(newAccountData({ username: `v${Date.now().toString(36)}`.padEnd(50, 'x') }))).statusCode).toBe(201);
  });

  it('rejects a name that is blank after trimming with 400 naming name', async () => {
    expectInvalid(await register(newAccountData({ name: '   ' })), 'name');
  });

  it('rejects a missing body field by field', async () => {
    expectInvalid(await register({}), 'email', 'username', 'name', 'password');
  });

  it.each([
    ['isActive', false],
    ['emailVerified', true],
    ['passwordHash', '$2b$10$abcdefghijklmnopqrstuuD0wBrj1dI9p1pN0A0vRmfz.7gGN7K3G'],
    ['id', '3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
  ])('rejects the unknown property %s with 400 naming it and creates nothing', async (property, value) => {
    const data = newAccountData();
    const response = await register({ ...data, [property]: value });
    expectInvalid(response, property);
    expect(await usersWithEmail(data.email)).toBe(0);
  });

  it('rejects login bodies with missing or unknown fields with 400, not 401', async () => {
    expectInvalid(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'someone' } }), 'password');
    expectInvalid(
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'someone', password: 'x', remember: true } }),
      'remember',
    );
  });

  it('answers 400 for malformed JSON, 415 for text/plain and 413 for a body over 100 KiB', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@example.com",',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    expect(malformed.json()).toMatchObject({ status: 400 });

    const data = newAccountData();
    const plain = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify(data),
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.headers['content-type']).toContain('application/problem+json');
    expect(plain.json()).toMatchObject({ status: 415 });

    const huge = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...data, name: 'n'.repeat(100 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toContain('application/problem+json');
    expect(huge.json()).toMatchObject({ status: 413 });
    expect(await usersWithEmail(data.email)).toBe(0);
  });
});

describe('concurrent registrations', () => {
  it('gives one 201 and nineteen 409 for 20 sign-ups with the same email', async () => {
    const email = `race.${Date.now()}@example.com`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(newAccountData({ email: i % 2 ? email.toUpperCase() : email }))),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json().errors).toEqual([{ field: 'email', message: expect.any(String) }]);
    }
    expect(await usersWithEmail(email)).toBe(1);
  });

  it('gives one 201 and nineteen 409 for 20 sign-ups with usernames differing only in case', async () => {
    const base = `racer${Date.now().toString(36)}`;
    const variants = Array.from({ length: 20 }, (_, i) =>
      [...base].map((char, position) => (position < 5 && (i >> position) & 1 ? char.toUpperCase() : char)).join(''),
    );
    expect(new Set(variants).size).toBe(20);
    const responses = await Promise.all(variants.map((username) => register(newAccountData({ username }))));
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
    for (const response of responses.filter((r) => r.statusCode === 409)) {
      expect(response.json().errors).toEqual([{ field: 'username', message: expect.any(String) }]);
    }
    const [{ count }] = await sql<{ count: number }>('select count(*)::int as count from users where lower(username) = ?', [base]);
    expect(count).toBe(1);
  });
});
