import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { login, newAccountData, registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';

let app: NestFastifyApplication;

async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await app.get(MikroORM).em.fork().getConnection().execute(query, params)) as T[];
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (account: TestAccount, method: 'GET' | 'PATCH' | 'DELETE' = 'GET', payload?: object, token = account.token) =>
  app.inject({ method, url: '/api/v1/users/me', headers: bearer(token), ...(payload ? { payload } : {}) });
const changePassword = (token: string, payload: object) =>
  app.inject({ method: 'PUT', url: '/api/v1/users/me/password', headers: bearer(token), payload });
const postLogin = (loginName: string, password: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: loginName, password } });

function expectInvalid(response: LightMyRequestResponse, ...fields: string[]): void {
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const errors: { field: string }[] = response.json().errors;
  expect([...new Set(errors.map((error) => error.field))].sort()).toEqual([...fields].sort());
}

async function countRows(table: 'users' | 'sessions' | 'tasks' | 'categories', column: string, value: string): Promise<number> {
  const [{ count }] = await sql<{ count: number }>(`select count(*)::int as count from "${table}" where "${column}" = ?`, [value]);
  return count;
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

describe('GET /users/me', () => {
  it("answers the caller's own account without any hash", async () => {
    const account = await registerAndLogin(app);
    await registerAndLogin(app);
    const response = await me(account);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: account.id,
      email: account.email,
      username: account.username,
      name: 'Test User',
      isActive: true,
      emailVerified: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(response.body).not.toMatch(/password|\$2[aby]\$/i);
  });
});

describe('PATCH /users/me', () => {
  it('changes email (stored lower-cased), username and name, and the new identifiers log in', async () => {
    const account = await registerAndLogin(app);
    const next = newAccountData({ name: '  Renamed Person  ' });
    const response = await me(account, 'PATCH', { email: next.email.toUpperCase(), username: next.username, name: next.name, currentPassword: account.password });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: account.id, email: next.email, username: next.username, name: 'Renamed Person' });
    expect((await me(account)).json()).toMatchObject({ email: next.email, username: next.username, name: 'Renamed Person' });
    const [row] = await sql<{ email: string; username: string; name: string }>('select email, username, name from users where id = ?', [account.id]);
    expect(row).toEqual({ email: next.email, username: next.username, name: 'Renamed Person' });
    expect((await postLogin(next.email, account.password)).statusCode).toBe(200);
    expect((await postLogin(next.username, account.password)).statusCode).toBe(200);
    expect((await postLogin(account.email, account.password)).statusCode).toBe(401);
  });

  it('changes only the fields sent, and lets the caller re-case their own username', async () => {
    const account = await registerAndLogin(app);
    const response = await me(account, 'PATCH', { username: account.username.toUpperCase() });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ email: account.email, username: account.username.toUpperCase(), name: 'Test User' });
  });

  it('answers 409 naming the field when the email or username belongs to someone else, in any case', async () => {
    const account = await registerAndLogin(app);
    const other = await registerAndLogin(app);
    const emailTaken = await me(account, 'PATCH', { email: other.email.toUpperCase(), currentPassword: account.password });
    expect(emailTaken.statusCode).toBe(409);
    expect(emailTaken.headers['content-type']).toContain('application/problem+json');
    expect(emailTaken.json().errors).toEqual([{ field: 'email', message: expect.any(String) }]);
    const usernameTaken = await me(account, 'PATCH', { username: other.username.toUpperCase(), currentPassword: account.password });
    expect(usernameTaken.statusCode).toBe(409);
    expect(usernameTaken.json().errors).toEqual([{ field: 'username', message: expect.any(String) }]);
    expect((await me(account)).json()).toMatchObject({ email: account.email, username: account.username });
  });

  it.each([
    ['email', (account: TestAccount) => ({ email: `moved.${account.username}@example.com` })],
    ['username', (account: TestAccount) => ({ username: `moved_${account.username}` })],
  ])('changing %s needs the current password: missing or wrong, 400 naming currentPassword, and nothing changes', async (_field, change) => {
    const account = await registerAndLogin(app);
    expectInvalid(await me(account, 'PATCH', { ...change(account), name: 'Not Applied' }), 'currentPassword');
    expectInvalid(await me(account, 'PATCH', { ...change(account), currentPassword: `${account.password}?` }), 'currentPassword');
    expectInvalid(await me(account, 'PATCH', { ...change(account), currentPassword: null }), 'currentPassword');
    expect((await me(account)).json()).toMatchObject({ email: account.email, username: account.username, name: 'Test User' });
    const response = await me(account, 'PATCH', { ...change(account), currentPassword: account.password });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject(change(account));
  });

  it('needs no password for the name, nor for sending the email and username unchanged', async () => {
    const account = await registerAndLogin(app);
    const response = await me(account, 'PATCH', { email: account.email.toUpperCase(), username: account.username, name: 'New Name' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ email: account.email, username: account.username, name: 'New Name' });
  });

  it.each(['email', 'username', 'name'])('answers 400 naming %s when it is null', async (field) => {
    const account = await registerAndLogin(app);
    expectInvalid(await me(account, 'PATCH', { [field]: null }), field);
    expect((await me(account)).json()).toMatchObject({ email: account.email, username: account.username, name: 'Test User' });
  });

  it('answers 400 for invalid values and for properties that are not part of the profile', async () => {
    const account = await registerAndLogin(app);
    expectInvalid(await me(account, 'PATCH', { email: 'not-an-email' }), 'email');
    expectInvalid(await me(account, 'PATCH', { username: 'no spaces allowed' }), 'username');
    expectInvalid(await me(account, 'PATCH', { name: '   ' }), 'name');
    expectInvalid(await me(account, 'PATCH', { isActive: false }), 'isActive');
    expectInvalid(await me(account, 'PATCH', { emailVerified: true }), 'emailVerified');
    expectInvalid(await me(account, 'PATCH', { password: 'a brand new passphrase' }), 'password');
    expectInvalid(await me(account, 'PATCH', { passwordHash: 'x' }), 'passwordHash');
    const [row] = await sql<{ is_active: boolean; email_verified: boolean }>('select is_active, email_verified from users where id = ?', [account.id]);
    expect(row).toEqual({ is_active: true, email_verified: false });
    expect((await postLogin(account.username, account.password)).statusCode).toBe(200);
  });
});

describe('PUT /users/me/password', () => {
  it('changes the password and revokes every other session, keeping the current one', async () => {
    const account = await registerAndLogin(app);
    const second = await login(app, account.username, account.password);
    const third = await login(app, account.email, account.password);
    const stranger = await registerAndLogin(app);
    const newPassword = 'a brand new passphrase for me';

    const response = await changePassword(second, { currentPassword: account.password, newPassword });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expect((await me(account, 'GET', undefined, second)).statusCode).toBe(200);
    expect((await me(account, 'GET', undefined, account.token)).statusCode).toBe(401);
    expect((await me(account, 'GET', undefined, third)).statusCode).toBe(401);
    expect(await countRows('sessions', 'user_id', account.id)).toBe(1);
    expect((await me(stranger)).statusCode).toBe(200);

    expect((await postLogin(account.username, account.password)).statusCode).toBe(401);
    expect((await postLogin(account.username, newPassword)).statusCode).toBe(200);
  });

  it('answers 400 naming currentPassword when it is wrong, and changes nothing', async () => {
    const account = await registerAndLogin(app);
    const other = await login(app, account.username, account.password);
    const response = await changePassword(account.token, { currentPassword: `${account.password}?`, newPassword: 'another fine passphrase' });
    expectInvalid(response, 'currentPassword');
    expect((await me(account, 'GET', undefined, other)).statusCode).toBe(200);
    expect((await postLogin(account.username, account.password)).statusCode).toBe(200);
    expect((await postLogin(account.username, 'another fine passphrase')).statusCode).toBe(401);
  });

  it('applies the password rules to newPassword', async () => {
    const account = await registerAndLogin(app);
    for (const newPassword of ['short', 'qwerty123', 'x'.repeat(129)]) {
      expectInvalid(await changePassword(account.token, { currentPassword: account.password, newPassword }), 'newPassword');
    }
    expectInvalid(await changePassword(account.token, { newPassword: 'a brand new passphrase' }), 'currentPassword');
    expect((await postLogin(account.username, account.password)).statusCode).toBe(200);
  });
});

describe('DELETE /users/me', () => {
  it('answers 400 naming password when it is wrong or missing, and deletes nothing', async () => {
    const account = await registerAndLogin(app);
    expectInvalid(await me(account, 'DELETE', { password: `${account.password}!` }), 'password');
    expectInvalid(await me(account, 'DELETE', {}), 'password');
    expect(await countRows('users', 'id', account.id)).toBe(1);
    expect((await me(account)).statusCode).toBe(200);
  });

  it('deletes the account and everything it owns, and nothing of anyone else', async () => {
    const account = await registerAndLogin(app);
    const second = await login(app, account.username, account.password);
    const other = await registerAndLogin(app);
    for (const owner of [account, other]) {
      const [category] = await sql<{ id: string }>(`insert into categories (name, user_id) values ('Work', ?) returning id`, [owner.id]);
      await sql(`insert into tasks (title, user_id, category_id) values ('Filed', ?, ?), ('Loose', ?, null)`, [owner.id, category.id, owner.id]);
    }
    expect(await countRows('tasks', 'user_id', account.id)).toBe(2);
    expect(await countRows('sessions', 'user_id', account.id)).toBe(2);

    const response = await me(account, 'DELETE', { password: account.password });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    for (const table of ['sessions', 'tasks', 'categories'] as const) {
      expect(await countRows(table, 'user_id', account.id)).toBe(0);
      expect(await countRows(table, 'user_id', other.id)).toBeGreaterThan(0);
    }
    expect(await countRows('users', 'id', account.id)).toBe(0);
    expect(await countRows('users', 'id', other.id)).toBe(1);
    expect(await countRows('tasks', 'user_id', other.id)).toBe(2);

    expect((await me(account)).statusCode).toBe(401);
    expect((await me(account, 'GET', undefined, second)).statusCode).toBe(401);
    expect((await postLogin(account.username, account.password)).statusCode).toBe(401);
    expect((await me(other)).statusCode).toBe(200);

    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: account.email, username: account.username, name: 'Back Again', password: account.password },
    });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).not.toBe(account.id);
  });
});
