import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { login, registerAndLogin, type TestAccount } from '../support/accounts.js';
import { connectToTestDatabase, createAppWithEnv, faultName, INTERNAL_LEAK, uuidLiteral } from './support.js';

/**
 * A password change and an account deletion each run in one unit of work: users writes the
 * account, auth ends its sessions (listening to PasswordChanged / AccountDeleting) in the same
 * transaction. PostgreSQL refusing one of the steps must leave the other undone.
 */
let app: NestFastifyApplication;
let db: pg.Client;

beforeAll(async () => {
  app = await createAppWithEnv({ DATABASE_URL: process.env.TEST_DATABASE_URL });
  db = await connectToTestDatabase();
});

afterAll(async () => {
  await db?.end();
  await app?.close();
});

/** Runs `request` while PostgreSQL refuses to delete the rows of `table` whose `column` is `id`. */
async function refusingDeletes<T>(table: 'sessions' | 'users', column: 'user_id' | 'id', id: string, request: () => Promise<T>): Promise<T> {
  const fn = faultName(`refuse_${table}_delete`);
  await db.query(`create function ${fn}() returns trigger language plpgsql as $$
    begin raise exception 'fault injection: refusing to delete from ${table}'; end $$`);
  await db.query(`create trigger ${fn} before delete on ${table} for each row when (old.${column} = ${uuidLiteral(id)}) execute function ${fn}()`);
  try {
    return await request();
  } finally {
    await db.query(`drop trigger if exists ${fn} on ${table}`);
    await db.query(`drop function if exists ${fn}()`);
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const getMe = async (token: string) => (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).statusCode;
const postLogin = async (account: TestAccount, password: string) =>
  (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: account.username, password } })).statusCode;
const passwordHash = async (userId: string) =>
  (await db.query<{ password_hash: string }>('select password_hash from users where id = $1', [userId])).rows[0]?.password_hash;
const sessionCount = async (userId: string) =>
  (await db.query<{ count: number }>('select count(*)::int as count from sessions where user_id = $1', [userId])).rows[0].count;

function expectInternalError(response: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  expect(response.statusCode).toBe(500);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).not.toMatch(INTERNAL_LEAK);
  expect(response.body).not.toContain('fault injection');
}

describe('account writes that fail half-way', () => {
  it('PUT /users/me/password failing at the end of the other sessions keeps the old password and every session', async () => {
    const account = await registerAndLogin(app);
    const other = await login(app, account.username, account.password);
    const hashBefore = await passwordHash(account.id);
    const newPassword = 'a new passphrase that never took';

    // The new hash is written first; auth's delete of the other sessions is what PostgreSQL refuses.
    const failed = await refusingDeletes('sessions', 'user_id', account.id, () =>
      app.inject({
        method: 'PUT',
        url: '/api/v1/users/me/password',
        headers: account.auth,
        payload: { currentPassword: account.password, newPassword },
      }),
    );

    expectInternalError(failed);
    expect(await passwordHash(account.id)).toBe(hashBefore);
    expect(await sessionCount(account.id)).toBe(2);
    expect(await getMe(other)).toBe(200);
    expect(await getMe(account.token)).toBe(200);
    expect(await postLogin(account, newPassword)).toBe(401);
    expect(await postLogin(account, account.password)).toBe(200);

    // Without the fault the same change goes through and ends the other sessions.
    const changed = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: account.auth,
      payload: { currentPassword: account.password, newPassword },
    });
    expect(changed.statusCode).toBe(204);
    expect(await getMe(other)).toBe(401);
    expect(await getMe(account.token)).toBe(200);
    expect(await sessionCount(account.id)).toBe(1);
  });

  it('DELETE /users/me failing at the account row keeps the sessions auth had already deleted', async () => {
    const account = await registerAndLogin(app);
    const other = await login(app, account.username, account.password);

    // Auth deletes the sessions first (AccountDeleting); PostgreSQL then refuses the account's row.
    const failed = await refusingDeletes('users', 'id', account.id, () =>
      app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: account.auth, payload: { password: account.password } }),
    );

    expectInternalError(failed);
    expect(await sessionCount(account.id)).toBe(2);
    expect(await getMe(other)).toBe(200);
    expect(await getMe(account.token)).toBe(200);

    const deleted = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: account.auth, payload: { password: account.password } });
    expect(deleted.statusCode).toBe(204);
    expect(await sessionCount(account.id)).toBe(0);
    expect(await getMe(other)).toBe(401);
  });
});
