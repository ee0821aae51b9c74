import { createHash } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { SessionsService } from '../src/auth/sessions.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

let app: NestFastifyApplication;

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const getMe = (token: string) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });
const listSessions = (token: string) => app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(token) });
const revokeSession = (token: string, id: string) =>
  app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${id}`, headers: bearer(token) });

/** Logs in through the API with a chosen User-Agent; answers the token. */
async function loginAs(account: TestAccount, userAgent: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: { 'user-agent': userAgent },
    payload: { login: account.username, password: account.password },
  });
  expect(response.statusCode).toBe(200);
  return response.json().accessToken;
}

async function sessionIdOf(token: string): Promise<string> {
  const [row] = await sql<{ id: string }>('select id from sessions where token_hash = ?', [sha256Hex(token)]);
  return row.id;
}

function expectUnauthenticated(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  expect(response.headers['content-type']).toContain('application/problem+json');
}

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  await sql('truncate table login_throttles');
});

afterAll(async () => {
  await app.close();
});

describe('GET /auth/sessions', () => {
  it("lists the caller's live sessions, marks the current one and shows nothing secret", async () => {
    const account = await registerAndLogin(app);
    const phone = await loginAs(account, 'PhoneApp/1.0');
    const laptop = await loginAs(account, 'LaptopBrowser/2.0');
    const stranger = await registerAndLogin(app);

    const response = await listSessions(laptop);
    expect(response.statusCode).toBe(200);
    const { items } = response.json();
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'current', 'expiresAt', 'id', 'lastUsedAt', 'userAgent']);
      expect(new Date(item.expiresAt).getTime()).toBeGreaterThan(Date.now());
    }
    const ids = [account.token, phone, laptop].map(sessionIdOf);
    expect(items.map((item: { id: string }) => item.id).sort()).toEqual((await Promise.all(ids)).sort());
    expect(items.filter((item: { current: boolean }) => item.current)).toEqual([
      expect.objectContaining({ id: await sessionIdOf(laptop), userAgent: 'LaptopBrowser/2.0' }),
    ]);
    expect(items).toContainEqual(expect.objectContaining({ id: await sessionIdOf(phone), userAgent: 'PhoneApp/1.0', current: false }));
    expect(response.body).not.toContain(await sessionIdOf(stranger.token));
    for (const token of [account.token, phone, laptop]) {
      expect(response.body).not.toContain(token);
      expect(response.body).not.toContain(sha256Hex(token));
    }
  });
});

describe('DELETE /auth/sessions/{id}', () => {
  it('revokes another session of the caller: 204, then that token answers 401', async () => {
    const account = await registerAndLogin(app);
    const other = await loginAs(account, 'Other/1.0');
    const otherId = await sessionIdOf(other);

    const response = await revokeSession(account.token, otherId);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expectUnauthenticated(await getMe(other));
    expect(await sql('select id from sessions where id = ?', [otherId])).toHaveLength(0);
    expect((await getMe(account.token)).statusCode).toBe(200);
    expect((await listSessions(account.token)).json().items.map((item: { id: string }) => item.id)).toEqual([
      await sessionIdOf(account.token),
    ]);
  });

  it('revokes the current session too', async () => {
    const account = await registerAndLogin(app);
    expect((await revokeSession(account.token, await sessionIdOf(account.token))).statusCode).toBe(204);
    expectUnauthenticated(await getMe(account.token));
  });

  it("answers 404 for another user's session, exactly like an unknown id, and leaves it alone", async () => {
    const owner = await registerAndLogin(app);
    const intruder = await registerAndLogin(app);
    const foreign = await revokeSession(intruder.token, await sessionIdOf(owner.token));
    const unknown = await revokeSession(intruder.token, '3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect(foreign.json()).toEqual(unknown.json());
    expect(unknown.statusCode).toBe(404);
    expect((await getMe(owner.token)).statusCode).toBe(200);
    expect((await getMe(intruder.token)).statusCode).toBe(200);
  });

  it('answers 400 naming id for a malformed id', async () => {
    const account = await registerAndLogin(app);
    const response = await revokeSession(account.token, 'not-a-uuid');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().errors).toEqual([{ field: 'id', message: expect.any(String) }]);
    expect((await getMe(account.token)).statusCode).toBe(200);
  });
});

describe('session lifetime', () => {
  it('rejects a session past its absolute expiry and no longer lists it', async () => {
    const account = await registerAndLogin(app);
    const other = await loginAs(account, 'Other/1.0');
    expect((await getMe(account.token)).statusCode).toBe(200);
    await sql(`update sessions set expires_at = now() - interval '1 second' where token_hash = ?`, [sha256Hex(account.token)]);
    expectUnauthenticated(await getMe(account.token));
    const { items } = (await listSessions(other)).json();
    expect(items.map((item: { id: string }) => item.id)).toEqual([await sessionIdOf(other)]);
  });

  it('rejects a session idle for longer than 30 minutes and no longer lists it', async () => {
    const account = await registerAndLogin(app);
    const other = await loginAs(account, 'Other/1.0');
    await sql(`update sessions set last_used_at = now() - interval '31 minutes' where token_hash = ?`, [sha256Hex(account.token)]);
    expectUnauthenticated(await getMe(account.token));
    const { items } = (await listSessions(other)).json();
    expect(items.map((item: { id: string }) => item.id)).toEqual([await sessionIdOf(other)]);
  });

  it('keeps a session idle for 29 minutes alive and refreshes it', async () => {
    const account = await registerAndLogin(app);
    await sql(`update sessions set last_used_at = now() - interval '29 minutes' where token_hash = ?`, [sha256Hex(account.token)]);
    expect((await getMe(account.token)).statusCode).toBe(200);
    const [row] = await sql<{ age: number }>(
      'select extract(epoch from now() - last_used_at)::float as age from sessions where token_hash = ?',
      [sha256Hex(account.token)],
    );
    expect(Math.abs(row.age)).toBeLessThan(5);
  });

  it('refreshes last_used_at only when it is older than 60 seconds', async () => {
    const account = await registerAndLogin(app);
    const lastUsed = async () =>
      (await sql<{ last_used_at: string }>('select last_used_at::text from sessions where token_hash = ?', [sha256Hex(account.token)]))[0]
        .last_used_at;

    const before = await lastUsed();
    expect((await getMe(account.token)).statusCode).toBe(200);
    expect((await getMe(account.token)).statusCode).toBe(200);
    expect(await lastUsed()).toBe(before);

    await sql(`update sessions set last_used_at = now() - interval '2 minutes' where token_hash = ?`, [sha256Hex(account.token)]);
    const [{ age: staleAge }] = await sql<{ age: number }>(
      'select extract(epoch from now() - last_used_at)::float as age from sessions where token_hash = ?',
      [sha256Hex(account.token)],
    );
    expect(staleAge).toBeGreaterThan(110);
    expect((await getMe(account.token)).statusCode).toBe(200);
    const [{ age }] = await sql<{ age: number }>(
      'select extract(epoch from now() - last_used_at)::float as age from sessions where token_hash = ?',
      [sha256Hex(account.token)],
    );
    expect(Math.abs(age)).toBeLessThan(5);
  });

  it('purges sessions past their expiry or idle timeout, and only those', async () => {
    const expired = await registerAndLogin(app);
    const idle = await loginAs(expired, 'Idle/1.0');
    const live = await loginAs(expired, 'Live/1.0');
    await sql(`update sessions set expires_at = now() - interval '1 second' where token_hash = ?`, [sha256Hex(expired.token)]);
    await sql(`update sessions set last_used_at = now() - interval '31 minutes' where token_hash = ?`, [sha256Hex(idle)]);
    const remaining = async () => (await sql<{ id: string }>('select id from sessions where user_id = ?', [expired.id])).map((row) => row.id);
    expect(await remaining()).toHaveLength(3);

    expect(await app.get(SessionsService).purgeExpired()).toBeGreaterThanOrEqual(2);
    expect(await remaining()).toEqual([await sessionIdOf(live)]);
    expect((await getMe(live)).statusCode).toBe(200);
  });
});
