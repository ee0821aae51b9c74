import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { join, listAll } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, MISSING_ID, sql, type TaskBody } from './support/tasks-fixtures.js';

const api = apiTest();
let owner: TestAccount;

beforeEach(async () => {
  owner = await registerAndLogin(api.app);
});

/** Titles of a list in manual order. */
const order = async (account: TestAccount, query: string) => (await listAll(api.call, account, `sort=position&${query}`, 3)).map((task) => task.title);

async function tasksIn(account: TestAccount, titles: string[], categoryId: string | null = null): Promise<Record<string, TaskBody>> {
  const created: Record<string, TaskBody> = {};
  for (const title of titles) {
    created[title] = await createTask(api.call, account, { title, categoryId });
  }
  return created;
}

const move = (account: TestAccount, taskId: string, payload: object, headers: Record<string, string> = {}) =>
  api.call(account, 'POST', `/tasks/${taskId}/move`, { payload, headers });

describe('manual order', () => {
  it('puts new tasks at the end of their list and pages sort=position in that order, either way', async () => {
    const category = await createCategory(api.call, owner, { name: 'Ordered' });
    await tasksIn(owner, ['a', 'b', 'c', 'd', 'e'], category.id);
    await tasksIn(owner, ['x', 'y']);
    expect(await order(owner, `categoryId=${category.id}`)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await order(owner, 'categoryId=none')).toEqual(['x', 'y']);
    expect((await listAll(api.call, owner, `sort=-position&categoryId=${category.id}`, 2)).map((task) => task.title)).toEqual(['e', 'd', 'c', 'b', 'a']);
  });

  it('moves a task after, before or between neighbours, writing that task alone', async () => {
    const tasks = await tasksIn(owner, ['a', 'b', 'c', 'd']);
    const before = await sql<{ id: string; position: string; version: number }>(api.app, 'select id, position, version from tasks where user_id = ?', [owner.id]);

    const moved = await move(owner, tasks.a.id, { after: tasks.c.id });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ id: tasks.a.id, version: 2 });
    expect(moved.headers.etag).toBe(`"${tasks.a.id}.2"`);
    expect(await order(owner, '')).toEqual(['b', 'c', 'a', 'd']);
    const after = await sql<{ id: string; position: string; version: number }>(api.app, 'select id, position, version from tasks where user_id = ?', [owner.id]);
    expect(after.filter((row) => row.id !== tasks.a.id).sort((x, y) => x.id.localeCompare(y.id))).toEqual(before.filter((row) => row.id !== tasks.a.id).sort((x, y) => x.id.localeCompare(y.id)));

    expect((await move(owner, tasks.d.id, { before: tasks.b.id })).statusCode).toBe(200);
    expect(await order(owner, '')).toEqual(['d', 'b', 'c', 'a']);
    expect((await move(owner, tasks.b.id, { after: tasks.c.id, before: tasks.a.id })).statusCode).toBe(200);
    expect(await order(owner, '')).toEqual(['d', 'c', 'b', 'a']);

    const [entry] = (await api.call(owner, 'GET', `/tasks/${tasks.b.id}/activity?limit=1`)).json().items;
    expect(entry).toMatchObject({ action: 'move', changes: { position: { from: expect.any(String), to: expect.any(String) } } });
    expect(Object.keys(entry.changes)).toEqual(['position']);
  });

  it('a trashed task keeps its place and comes back to it; moving to another category puts it at that list\'s end', async () => {
    const category = await createCategory(api.call, owner, { name: 'Elsewhere' });
    const tasks = await tasksIn(owner, ['a', 'b', 'c']);
    await tasksIn(owner, ['p', 'q'], category.id);
    await api.call(owner, 'DELETE', `/tasks/${tasks.b.id}`);
    expect(await order(owner, 'categoryId=none')).toEqual(['a', 'c']);
    expect((await move(owner, tasks.c.id, { before: tasks.a.id })).statusCode).toBe(200);
    await api.call(owner, 'POST', `/tasks/${tasks.b.id}/restore`);
    expect(await order(owner, 'categoryId=none')).toEqual(['c', 'a', 'b']);

    const patched = await api.call(owner, 'PATCH', `/tasks/${tasks.c.id}`, { payload: { categoryId: category.id } });
    expect(patched.statusCode).toBe(200);
    expect(await order(owner, `categoryId=${category.id}`)).toEqual(['p', 'q', 'c']);
  });

  it('a deleted category\'s tasks go to the end of each creator\'s own list, in their order', async () => {
    const member = await registerAndLogin(api.app);
    const category = await createCategory(api.call, owner, { name: 'Going away' });
    await join(api.call, owner, member, category.id, 'editor');
    await tasksIn(member, ['member first'], null);
    await tasksIn(owner, ['own first'], null);
    const shared = { ...(await tasksIn(owner, ['o1'], category.id)), ...(await tasksIn(member, ['m1'], category.id)), ...(await tasksIn(owner, ['o2'], category.id)), ...(await tasksIn(member, ['m2'], category.id)) };
    expect((await move(owner, shared.m2.id, { before: shared.o1.id })).statusCode).toBe(200);
    expect((await api.call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    expect(await order(owner, 'categoryId=none')).toEqual(['own first', 'o1', 'o2']);
    expect(await order(member, 'categoryId=none')).toEqual(['member first', 'm2', 'm1']);
  });

  it.each([
    ['no neighbour', () => ({}), 'after'],
    ['a neighbour that is no uuid', () => ({ after: 'first' }), 'after'],
    ['null', () => ({ before: null }), 'before'],
    ['an unknown neighbour', () => ({ after: MISSING_ID }), 'after'],
    ['itself', (tasks: Record<string, TaskBody>) => ({ before: tasks.a.id }), 'before'],
    ['a neighbour in another list', (tasks: Record<string, TaskBody>) => ({ after: tasks.other.id }), 'after'],
    ['a trashed neighbour', (tasks: Record<string, TaskBody>) => ({ after: tasks.trashed.id }), 'after'],
    ['neighbours in the wrong order', (tasks: Record<string, TaskBody>) => ({ after: tasks.c.id, before: tasks.b.id }), 'after'],
  ])('with %s answers 400 naming the field, and nothing is written', async (_name, body, field) => {
    const category = await createCategory(api.call, owner, { name: 'Other list' });
    const tasks = { ...(await tasksIn(owner, ['a', 'b', 'c', 'trashed'])), ...(await tasksIn(owner, ['other'], category.id)) };
    await api.call(owner, 'DELETE', `/tasks/${tasks.trashed.id}`);
    const before = await sql(api.app, 'select id, position, version from tasks where user_id = ? order by id', [owner.id]);
    expectProblem(await move(owner, tasks.a.id, body(tasks)), 400, [field]);
    expect(await sql(api.app, 'select id, position, version from tasks where user_id = ? order by id', [owner.id])).toEqual(before);
  });

  it('another user\'s task, as the one moved or as a neighbour, is unknown: 404 or 400, nothing written', async () => {
    const stranger = await registerAndLogin(api.app);
    const mine = await tasksIn(owner, ['a', 'b']);
    const theirs = await tasksIn(stranger, ['t']);
    expectProblem(await move(stranger, mine.a.id, { after: theirs.t.id }), 404);
    expectProblem(await move(owner, mine.a.id, { after: theirs.t.id }), 400, ['after']);
    expect(await order(owner, '')).toEqual(['a', 'b']);
  });

  it('honours If-Match: a stale ETag gets 412 and moves nothing', async () => {
    const tasks = await tasksIn(owner, ['a', 'b']);
    expectProblem(await move(owner, tasks.a.id, { after: tasks.b.id }, { 'if-match': `"${tasks.a.id}.7"` }), 412);
    expect((await move(owner, tasks.a.id, { after: tasks.b.id }, { 'if-match': `"${tasks.a.id}.1"` })).statusCode).toBe(200);
    expect(await order(owner, '')).toEqual(['b', 'a']);
  });

  it('concurrent moves into the same place and creates at the end never give two tasks one key, and lose no task', async () => {
    const titles = Array.from({ length: 12 }, (_, index) => `t${String(index).padStart(2, '0')}`);
    const tasks = await tasksIn(owner, titles);
    const responses = await Promise.all([
      ...titles.slice(2).map((title) => move(owner, tasks[title].id, { after: tasks.t00.id, before: tasks.t01.id })),
      ...titles.slice(2, 6).map((title) => move(owner, tasks[title].id, { after: tasks.t11.id })),
      ...Array.from({ length: 4 }, (_, index) => api.call(owner, 'POST', '/tasks', { payload: { title: `new ${index}` } })),
    ]);
    expect(responses.map((response) => response.statusCode).filter((status) => status !== 200 && status !== 201)).toEqual([]);
    const rows = await sql<{ position: string }>(api.app, 'select position from tasks where user_id = ?', [owner.id]);
    expect(new Set(rows.map((row) => row.position)).size).toBe(16);
    const listed = await order(owner, '');
    expect(listed).toHaveLength(16);
    expect(listed[0]).toBe('t00');
    expect(listed.slice(-4).every((title) => title.startsWith('new') || ['t02', 't03', 't04', 't05', 't11'].includes(title))).toBe(true);
  });
});
