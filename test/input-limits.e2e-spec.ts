import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { accountKeyOf } from '../src/users/login-throttle.service.js';
import { MAX_JSON_DEPTH } from '../src/common/json-body.js';
import { registerAndLogin, newAccountData, type TestAccount } from './support/accounts.js';
import { apiClient, createCategory, createTask, expectProblem, sql, taskRow, type Call, type TaskBody } from './support/tasks-fixtures.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * Crafted bodies (issue 10, section 8): nesting past the documented depth, strings that are not
 * well-formed Unicode, and characters that grow when lower-cased. Each is refused with a 400
 * naming what is wrong, before anything is stored, and never answers 5xx.
 */

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let owner: TestAccount;
let task: TaskBody;

/** `[[[...]]]` nested `depth` levels deep, around `inner`. */
const nested = (depth: number, inner = '') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const json = { 'content-type': 'application/json' };

/** The user, category and task tables as text: equal before and after means nothing was written. */
async function dataSnapshot(): Promise<string[]> {
  const rows = await sql<{ row: string }>(
    app,
    `select 'u' || u::text as row from users u union all select 'c' || c::text from categories c
     union all select 't' || t::text from tasks t order by row`,
  );
  return rows.map((r) => r.row);
}

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  owner = await registerAndLogin(app);
  task = await createTask(call, owner, { title: 'Deep thoughts' });
});

beforeEach(async () => {
  await sql(app, 'truncate table login_throttles');
});

afterAll(async () => {
  await app.close();
});

// Emptied by each check, so a 5xx is blamed on the test that saw it only.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

describe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, () => {
  const deepest = nested(45_000);

  it('is 90 KB nested 45,000 arrays deep: under the body size limit, so the depth check is what refuses it', () => {
    expect(deepest.length).toBe(90_000);
  });

  it.each([
    ['POST', '/auth/login', false],
    ['POST', '/auth/register', false],
    ['POST', '/tasks', true],
    ['PATCH', '/users/me', true],
    ['POST', '/auth/logout', true],
    ['POST', '/tasks/{task}/toggle', true],
    ['DELETE', '/tasks/{task}', true],
    ['POST', '/tasks', false],
  ] as const)('answers 400 naming the body on %s %s (authenticated: %s), and changes nothing', async (method, path, authenticated) => {
    const before = await dataSnapshot();
    const response = await call(authenticated ? owner : undefined, method, path.replace('{task}', task.id), { payload: deepest, headers: json });
    expectProblem(response, 400, ['body']);
    expect(response.json().errors[0].message).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(await dataSnapshot()).toEqual(before);
  });

  it(`accepts exactly ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}, on a route that ignores its body`, async () => {
    const toggle = (payload: string) => call(owner, 'POST', `/tasks/${task.id}/toggle`, { payload, headers: json });
    expectProblem(await toggle(nested(MAX_JSON_DEPTH + 1)), 400, ['body']);
    expect((await taskRow(app, task.id))?.status).toBe('pending');
    expect((await toggle(nested(MAX_JSON_DEPTH))).statusCode).toBe(200);
    expect((await taskRow(app, task.id))?.status).toBe('completed');
    expect((await toggle(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).statusCode).toBe(200);
  });

  it('judges a DTO route the same way: 32 levels reach validation (the unknown field is named), 33 do not', async () => {
    const atLimit = await call(owner, 'POST', '/tasks', { payload: `{"title":"x","extra":${nested(MAX_JSON_DEPTH - 1)}}`, headers: json });
    expectProblem(atLimit, 400, ['extra']);
    const past = await call(owner, 'POST', '/tasks', { payload: `{"title":"x","extra":${nested(MAX_JSON_DEPTH)}}`, headers: json });
    expectProblem(past, 400, ['body']);
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const title = `\\"${'['.repeat(40)}{\\\\`;
    const response = await call(owner, 'POST', '/tasks', { payload: `{"title":"${title}"}`, headers: json });
    expect(response.statusCode).toBe(201);
    expect(response.json().title).toBe(`"${'['.repeat(40)}{\\`);
  });
});

describe('strings that are not well-formed Unicode', () => {
  it.each([
    ['a lone high surrogate', 'a\ud800@example.com'],
    ['a lone low surrogate', '\udfff'],
  ])('register: 400 naming email for %s, and no account is created', async (_label, email) => {
    const before = await dataSnapshot();
    const response = await call(undefined, 'POST', '/auth/register', { payload: newAccountData({ email }) });
    expectProblem(response, 400, ['email']);
    expect(response.json().errors[0].message).toContain('well-formed Unicode');
    expect(await dataSnapshot()).toEqual(before);
  });

  it('register: 400 naming username and name, each with its own message', async () => {
    const response = await call(undefined, 'POST', '/auth/register', { payload: newAccountData({ username: 'ab\ud800c', name: 'Ada \udc00' }) });
    expectProblem(response, 400, ['username', 'name']);
    expect(await sql(app, 'select 1 from users where name like ?', ['Ada %'])).toEqual([]);
  });

  it('PATCH /users/me: 400 naming email, and the stored email is unchanged', async () => {
    const response = await call(owner, 'PATCH', '/users/me', { payload: { email: 'a\ud800@example.com' } });
    expectProblem(response, 400, ['email']);
    expect(await sql(app, 'select email from users where id = ?', [owner.id])).toEqual([{ email: owner.email }]);
  });

  it('a task title: 400 naming title, never stored as U+FFFD; nothing is created or changed', async () => {
    const before = await dataSnapshot();
    expectProblem(await call(owner, 'POST', '/tasks', { payload: { title: 'report \ud83d draft' } }), 400, ['title']);
    expectProblem(await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { title: '\ude00', description: 'ok' } }), 400, ['title']);
    expect(await dataSnapshot()).toEqual(before);
    expect(await sql(app, `select 1 from tasks where title like '%' || chr(65533) || '%'`)).toEqual([]);
  });

  it('names a nested field and a property name, and keeps well-formed pairs (emoji) as they are', async () => {
    const nestedField = await call(owner, 'POST', '/categories', { payload: { name: 'x', extra: { list: ['ok', '\ud800'] } } });
    expectProblem(nestedField, 400, ['extra.list.1']);
    expectProblem(await call(owner, 'POST', '/categories', { payload: '{"name":"x","\\ud800":1}', headers: json }), 400, ['\ud800']);
    const emoji = await createCategory(call, owner, { name: '😀 \ud83d\ude00' });
    expect(emoji.name).toBe('😀 😀');
  });

  it('refuses bytes that are not UTF-8 (a raw encoded surrogate, 0xff) with 400 naming the body', async () => {
    const before = await dataSnapshot();
    for (const bytes of [[0xed, 0xa0, 0x80], [0xff], [0xc3]]) {
      const payload = Buffer.concat([Buffer.from('{"title":"'), Buffer.from(bytes), Buffer.from('"}')]);
      expectProblem(await call(owner, 'POST', '/tasks', { payload: payload as unknown as string, headers: json }), 400, ['body']);
    }
    expect(await dataSnapshot()).toEqual(before);
  });
});

describe('characters that grow when lower-cased (U+0130 "İ" becomes "i" + U+0307)', () => {
  const dotted = (n: number) => '\u0130'.repeat(n);

  it('a login of 160 × U+0130 (320 characters lower-cased) answers 400 naming login, not a database error', async () => {
    expect(dotted(160).toLowerCase()).toHaveLength(320);
    const response = await call(undefined, 'POST', '/auth/login', { payload: { login: dotted(160), password: 'whatever it is' } });
    expectProblem(response, 400, ['login']);
  });

  it('a login of 127 × U+0130 (254 lower-cased) is an ordinary failed login, counted like any other', async () => {
    const response = await call(undefined, 'POST', '/auth/login', { payload: { login: dotted(127), password: 'whatever it is' } });
    expectProblem(response, 401);
    const [row] = await sql<{ failures: number }>(app, 'select failures from login_throttles where key = ?', [accountKeyOf({ unknownLogin: dotted(127) })]);
    expect(row).toEqual({ failures: 1 });
  });

  it('logs in whatever the case of the login', async () => {
    const response = await call(undefined, 'POST', '/auth/login', { payload: { login: owner.username.toUpperCase(), password: owner.password } });
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['username', { username: dotted(160) }],
    ['email', { email: `${dotted(160)}@example.com` }],
    ['email', { email: `a@${dotted(120)}.com` }],
  ])('register: 400 naming %s for U+0130 strings, and no account is created', async (field, overrides) => {
    const before = await dataSnapshot();
    expectProblem(await call(undefined, 'POST', '/auth/register', { payload: newAccountData(overrides) }), 400, [field]);
    expect(await dataSnapshot()).toEqual(before);
  });

  it('PATCH /users/me: 400 for a U+0130 email or username; the account is unchanged', async () => {
    const before = await dataSnapshot();
    expectProblem(await call(owner, 'PATCH', '/users/me', { payload: { email: `${dotted(200)}@example.com`, username: dotted(50) } }), 400, ['email', 'username']);
    expect(await dataSnapshot()).toEqual(before);
  });

  it('category names (unique by lower(name)) and task titles of U+0130 at their maximum length are stored as sent', async () => {
    const category = await createCategory(call, owner, { name: dotted(100) });
    expect(category.name).toBe(dotted(100));
    expectProblem(await call(owner, 'POST', '/categories', { payload: { name: dotted(100) } }), 409, ['name']);
    expectProblem(await call(owner, 'POST', '/categories', { payload: { name: dotted(101) } }), 400, ['name']);
    const titled = await createTask(call, owner, { title: dotted(200) });
    expect((await taskRow(app, titled.id))?.title).toBe(dotted(200));
    const search = await call(owner, 'GET', `/tasks?q=${encodeURIComponent(dotted(100))}`);
    expect(search.statusCode).toBe(200);
  });
});
