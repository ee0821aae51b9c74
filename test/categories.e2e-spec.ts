import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import {
  apiClient,
  createCategory,
  createTask,
  expectProblem,
  ISO_UTC,
  MISSING_ID,
  sql,
  taskRow,
  UUID,
  type Call,
} from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
});

afterAll(async () => {
  await app.close();
});

// Every case checks its own requests (emptied each time, so a 5xx is blamed on the case that saw
// it), and a case run alone with -t is still checked.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

describe('POST /categories', () => {
  it('creates a category with its name trimmed, colour lower-cased and no tasks', async () => {
    const owner = await registerAndLogin(app);
    const response = await call(owner, 'POST', '/categories', { payload: { name: '  Work  ', color: '#3B82F6' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({ id: expect.stringMatching(UUID), name: 'Work', color: '#3b82f6', taskCount: 0, role: 'owner', owner: { id: owner.id, username: owner.username, name: 'Test User' }, createdAt: expect.stringMatching(ISO_UTC), updatedAt: expect.stringMatching(ISO_UTC) });
    const [row] = await sql(app, 'select name, color, user_id::text as user_id from categories where id = ?', [body.id]);
    expect(row).toEqual({ name: 'Work', color: '#3b82f6', user_id: owner.id });
  });

  it("defaults the colour to #6b7280", async () => {
    const owner = await registerAndLogin(app);
    expect((await createCategory(call, owner, { name: 'Plain' })).color).toBe('#6b7280');
  });

  it('accepts a 100-character name and refuses empty, blank, 101-character or non-string names naming the field', async () => {
    const owner = await registerAndLogin(app);
    expect((await createCategory(call, owner, { name: 'n'.repeat(100) })).name).toBe('n'.repeat(100));
    for (const payload of [{}, { name: '' }, { name: '   ' }, { name: 'n'.repeat(101) }, { name: null }, { name: 42 }]) {
      expectProblem(await call(owner, 'POST', '/categories', { payload }), 400, ['name']);
    }
  });

  it('refuses colours that are not #rrggbb, naming the field', async () => {
    const owner = await registerAndLogin(app);
    for (const color of ['red', '#abc', '#gggggg', '3b82f6', '#3b82f6ff', null, 123]) {
      expectProblem(await call(owner, 'POST', '/categories', { payload: { name: `C ${String(color)}`, color } }), 400, ['color']);
    }
    const [{ count }] = await sql<{ count: number }>(app, 'select count(*)::int as count from categories where user_id = ?', [owner.id]);
    expect(count).toBe(0);
  });

  it('refuses unknown fields, non-JSON bodies and broken JSON', async () => {
    const owner = await registerAndLogin(app);
    expectProblem(await call(owner, 'POST', '/categories', { payload: { name: 'X', userId: owner.id } }), 400, ['userId']);
    expectProblem(await call(owner, 'POST', '/categories', { payload: 'name=X', headers: { 'content-type': 'text/plain' } }), 415);
    expectProblem(await call(owner, 'POST', '/categories', { payload: '{"name":', headers: { 'content-type': 'application/json' } }), 400);
  });

  it('answers 409 on a name the user already has, compared case-insensitively after trimming', async () => {
    const owner = await registerAndLogin(app);
    await createCategory(call, owner, { name: 'Errands' });
    for (const name of ['Errands', 'errands', '  ERRANDS ']) {
      const response = await call(owner, 'POST', '/categories', { payload: { name } });
      expectProblem(response, 409);
      expect(response.json().errors).toEqual([{ field: 'name', message: expect.any(String) }]);
    }
    const [{ count }] = await sql<{ count: number }>(app, 'select count(*)::int as count from categories where user_id = ?', [owner.id]);
    expect(count).toBe(1);
  });

  it('lets another user reuse the same name', async () => {
    const [first, second] = [await registerAndLogin(app), await registerAndLogin(app)];
    await createCategory(call, first, { name: 'Shared Name' });
    expect((await call(second, 'POST', '/categories', { payload: { name: 'shared name' } })).statusCode).toBe(201);
  });

  it('allows 1,000 categories per user by default and answers 403 quota-exceeded past that', async () => {
    const owner = await registerAndLogin(app);
    await sql(app, `insert into categories (name, user_id) select 'bulk ' || n, ? from generate_series(1, 999) as n`, [owner.id]);
    expect((await call(owner, 'POST', '/categories', { payload: { name: 'The thousandth' } })).statusCode).toBe(201);
    const refused = await call(owner, 'POST', '/categories', { payload: { name: 'One too many' } });
    expectProblem(refused, 403);
    expect(refused.json()).toMatchObject({ type: 'urn:tasktracker:problem:quota-exceeded', detail: expect.stringContaining('1,000 categories') });
    const [{ count }] = await sql<{ count: number }>(app, 'select count(*)::int as count from categories where user_id = ?', [owner.id]);
    expect(count).toBe(1000);
    // The limit is per user.
    expect((await call(await registerAndLogin(app), 'POST', '/categories', { payload: { name: 'One too many' } })).statusCode).toBe(201);
  });
});

describe('GET /categories and GET /categories/{id}', () => {
  let owner: TestAccount;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    owner = await registerAndLogin(app);
    for (const name of ['delta', 'alpha', 'charlie', 'bravo']) {
      ids[name] = (await createCategory(call, owner, { name })).id;
    }
    for (const [name, tasks] of [['alpha', 3], ['charlie', 1]] as const) {
      for (let n = 0; n < tasks; n++) {
        await createTask(call, owner, { title: `${name} ${n}`, categoryId: ids[name] });
      }
    }
    await createTask(call, owner, { title: 'uncategorised' });
    const other = await registerAndLogin(app);
    await createCategory(call, other, { name: 'aaa other user' });
  });

  it("lists only the caller's categories, by name, each with its task count", async () => {
    const response = await call(owner, 'GET', '/categories');
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(['items']);
    const items = response.json().items as { name: string; taskCount: number }[];
    expect(items.map(({ name, taskCount }) => [name, taskCount])).toEqual([['alpha', 3], ['bravo', 0], ['charlie', 1], ['delta', 0]]);
  });

  it('answers one category with its task count', async () => {
    const response = await call(owner, 'GET', `/categories/${ids.alpha}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: ids.alpha, name: 'alpha', color: '#6b7280', taskCount: 3, role: 'owner', owner: { id: owner.id, username: owner.username, name: 'Test User' }, createdAt: expect.stringMatching(ISO_UTC), updatedAt: expect.stringMatching(ISO_UTC) });
  });

  it('answers 404 for a missing id and 400 naming id for a malformed one', async () => {
    expectProblem(await call(owner, 'GET', `/categories/${MISSING_ID}`), 404);
    expectProblem(await call(owner, 'GET', '/categories/abc'), 400, ['id']);
  });

  it('requires a bearer token', async () => {
    expectProblem(await call(undefined, 'GET', '/categories'), 401);
    expectProblem(await call(undefined, 'GET', `/categories/${ids.alpha}`), 401);
  });
});

describe('PATCH /categories/{id}', () => {
  it('renames (trimmed) and persists the change', async () => {
    const owner = await registerAndLogin(app);
    const category = await createCategory(call, owner, { name: 'Old', color: '#111111' });
    const response = await call(owner, 'PATCH', `/categories/${category.id}`, { payload: { name: '  New  ' } });
    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 200, body: expect.objectContaining({ id: category.id, name: 'New', color: '#111111', taskCount: 0 }) });
    const [row] = await sql(app, 'select name, color from categories where id = ?', [category.id]);
    expect(row).toEqual({ name: 'New', color: '#111111' });
  });

  it('recolours (lower-cased) without touching the name', async () => {
    const owner = await registerAndLogin(app);
    const category = await createCategory(call, owner, { name: 'Keep me' });
    const response = await call(owner, 'PATCH', `/categories/${category.id}`, { payload: { color: '#ABCDEF' } });
    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 200, body: expect.objectContaining({ name: 'Keep me', color: '#abcdef' }) });
    const [row] = await sql(app, 'select name, color from categories where id = ?', [category.id]);
    expect(row).toEqual({ name: 'Keep me', color: '#abcdef' });
  });

  it('accepts an empty body and changes nothing', async () => {
    const owner = await registerAndLogin(app);
    const category = await createCategory(call, owner, { name: 'Same', color: '#222222' });
    const response = await call(owner, 'PATCH', `/categories/${category.id}`, { payload: {} });
    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 200, body: expect.objectContaining({ name: 'Same', color: '#222222' }) });
  });

  it('lets a category change the case of its own name but answers 409 on a sibling name, in any case', async () => {
    const owner = await registerAndLogin(app);
    const home = await createCategory(call, owner, { name: 'home' });
    await createCategory(call, owner, { name: 'Garden' });
    expect((await call(owner, 'PATCH', `/categories/${home.id}`, { payload: { name: 'HOME' } })).statusCode).toBe(200);
    const conflict = await call(owner, 'PATCH', `/categories/${home.id}`, { payload: { name: ' garden ' } });
    expectProblem(conflict, 409);
    expect(conflict.json().errors).toEqual([{ field: 'name', message: expect.any(String) }]);
    const [row] = await sql(app, 'select name from categories where id = ?', [home.id]);
    expect(row).toEqual({ name: 'HOME' });
  });

  it('refuses a null or invalid name or colour and unknown fields, naming them, and changes nothing', async () => {
    const owner = await registerAndLogin(app);
    const category = await createCategory(call, owner, { name: 'Stable', color: '#333333' });
    const cases: [object, string[]][] = [
      [{ name: null }, ['name']],
      [{ name: '  ' }, ['name']],
      [{ name: 'x'.repeat(101) }, ['name']],
      [{ color: null }, ['color']],
      [{ color: 'blue' }, ['color']],
      [{ taskCount: 5 }, ['taskCount']],
    ];
    for (const [payload, fields] of cases) {
      expectProblem(await call(owner, 'PATCH', `/categories/${category.id}`, { payload }), 400, fields);
    }
    const [row] = await sql(app, 'select name, color from categories where id = ?', [category.id]);
    expect(row).toEqual({ name: 'Stable', color: '#333333' });
  });

  it('answers 404 for a missing id', async () => {
    const owner = await registerAndLogin(app);
    expectProblem(await call(owner, 'PATCH', `/categories/${MISSING_ID}`, { payload: { name: 'x' } }), 404);
  });
});

describe('DELETE /categories/{id}', () => {
  it('deletes the category and keeps its tasks, uncategorised, with a new version and ETag', async () => {
    const owner = await registerAndLogin(app);
    const doomed = await createCategory(call, owner, { name: 'Doomed' });
    const kept = await createCategory(call, owner, { name: 'Kept' });
    const inDoomed = [await createTask(call, owner, { title: 'a', categoryId: doomed.id }), await createTask(call, owner, { title: 'b', categoryId: doomed.id })];
    const inKept = await createTask(call, owner, { title: 'c', categoryId: kept.id });
    const etagsBefore = await Promise.all(inDoomed.map(async (task) => (await call(owner, 'GET', `/tasks/${task.id}`)).headers.etag));
    const keptBefore = await taskRow(app, inKept.id);

    const response = await call(owner, 'DELETE', `/categories/${doomed.id}`);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expectProblem(await call(owner, 'GET', `/categories/${doomed.id}`), 404);
    expect(await sql(app, 'select id from categories where id = ?', [doomed.id])).toEqual([]);
    for (const [index, task] of inDoomed.entries()) {
      const read = await call(owner, 'GET', `/tasks/${task.id}`);
      expect(read.statusCode).toBe(200);
      expect(read.json()).toMatchObject({ id: task.id, title: task.title, categoryId: null, version: task.version + 1 });
      expect(read.headers.etag).not.toBe(etagsBefore[index]);
      expect((await taskRow(app, task.id))!.category_id).toBeNull();
    }
    expect(await taskRow(app, inKept.id)).toEqual(keptBefore);
    expectProblem(await call(owner, 'DELETE', `/categories/${doomed.id}`), 404);
  });

  it('answers 404 for a missing id and 400 for a malformed one', async () => {
    const owner = await registerAndLogin(app);
    expectProblem(await call(owner, 'DELETE', `/categories/${MISSING_ID}`), 404);
    expectProblem(await call(owner, 'DELETE', '/categories/not-a-uuid'), 400, ['id']);
  });
});

describe('GET /categories order', () => {
  it('sorts by name ignoring case', async () => {
    const owner = await registerAndLogin(app);
    for (const name of ['Zeta', 'alpha', 'Beta']) {
      expect((await call(owner, 'POST', '/categories', { payload: { name } })).statusCode).toBe(201);
    }
    const response = await call(owner, 'GET', '/categories');
    expect(response.json().items.map((item: { name: string }) => item.name)).toEqual(['alpha', 'Beta', 'Zeta']);
  });
});
