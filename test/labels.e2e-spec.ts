import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { changesPage, join, listAll } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, sql, type TaskBody } from './support/tasks-fixtures.js';

const api = apiTest();
let owner: TestAccount;
let other: TestAccount;

beforeAll(async () => {
  [owner, other] = await Promise.all([registerAndLogin(api.app), registerAndLogin(api.app)]);
});

const labelsOf = async (account: TestAccount, query = '') => (await api.call(account, 'GET', `/labels${query}`)).json();
const titles = (tasks: TaskBody[]) => tasks.map((task) => task.title).sort();

describe('labels on a task', () => {
  it('are trimmed, kept once ignoring case (first spelling, given order), returned everywhere, and their changes recorded', async () => {
    const task = await createTask(api.call, owner, { title: 'Labelled', labels: ['  Home ', 'urgent', 'HOME', 'Urgent', 'Q3'] });
    expect(task.labels).toEqual(['Home', 'urgent', 'Q3']);
    expect((await api.call(owner, 'GET', `/tasks/${task.id}`)).json().labels).toEqual(['Home', 'urgent', 'Q3']);
    expect((await createTask(api.call, owner, { title: 'Plain' })).labels).toEqual([]);

    const patched = await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { labels: ['q3', 'Later'] } });
    expect(patched.json()).toMatchObject({ labels: ['q3', 'Later'], version: 2 });
    const same = await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { labels: ['q3', 'Later'] } });
    expect(same.json().version).toBe(2);

    const [entry] = (await api.call(owner, 'GET', `/tasks/${task.id}/activity?limit=1`)).json().items;
    expect(entry).toMatchObject({ action: 'update', changes: { labels: { from: ['Home', 'urgent', 'Q3'], to: ['q3', 'Later'] } } });
  });

  it.each([
    ['too many', Array.from({ length: 21 }, (_, index) => `l${index}`)],
    ['an empty one', ['ok', '   ']],
    ['one of 51 characters', ['x'.repeat(51)]],
    ['a comma', ['a,b']],
    ['a control character', ['a\u0001b']],
    ['a number', [7]],
    ['not a list', 'home'],
    ['null', null],
  ])('with %s answer 400 naming labels, and nothing is written', async (_name, labels) => {
    const [{ count: before }] = await sql<{ count: number }>(api.app, 'select count(*)::int as count from tasks');
    expectProblem(await api.call(owner, 'POST', '/tasks', { payload: { title: 'Bad labels', labels } }), 400, ['labels']);
    const task = await createTask(api.call, owner, { title: 'Target', labels: ['kept'] });
    expectProblem(await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { labels } }), 400, ['labels']);
    expect((await api.call(owner, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ labels: ['kept'], version: 1 });
    const [{ count: after }] = await sql<{ count: number }>(api.app, 'select count(*)::int as count from tasks');
    expect(after).toBe(before + 1);
  });
});

describe('the labels filter', () => {
  let fixtures: Record<string, TaskBody>;

  beforeAll(async () => {
    const account = await registerAndLogin(api.app);
    owner = account;
    fixtures = {};
    for (const [title, labels] of [
      ['red-blue', ['Red', 'blue']],
      ['red', ['red']],
      ['blue', ['BLUE']],
      ['green', ['green']],
      ['none', []],
      ['quoted', ['say "hi"', 'back\\slash', '{braces}']],
    ] as const) {
      fixtures[title] = await createTask(api.call, owner, { title, labels });
    }
  });

  it.each([
    ['labels=red', ['red', 'red-blue']],
    ['labels=RED,Blue', ['blue', 'red', 'red-blue']],
    ['labels=red&labels=blue&labelMatch=any', ['blue', 'red', 'red-blue']],
    ['labels=red,blue&labelMatch=all', ['red-blue']],
    ['labels=purple', []],
    [`labels=${encodeURIComponent('SAY "HI"')}&labels=${encodeURIComponent('{braces}')}&labelMatch=all`, ['quoted']],
    [`labels=${encodeURIComponent('back\\slash')}`, ['quoted']],
  ])('%s matches ignoring case', async (query, expected) => {
    expect(titles(await listAll(api.call, owner, query))).toEqual(expected);
  });

  it('stores quotes, backslashes and braces as written', async () => {
    const stored = await api.call(owner, 'GET', `/tasks/${fixtures.quoted.id}`);
    expect(stored.json().labels).toEqual(['say "hi"', 'back\\slash', '{braces}']);
  });

  it('pages with a cursor bound to the filter', async () => {
    const first = (await api.call(owner, 'GET', '/tasks?labels=red,blue&limit=2&sort=title')).json();
    expect(first.items.map((task: TaskBody) => task.title)).toEqual(['blue', 'red']);
    const second = (await api.call(owner, 'GET', `/tasks?labels=red,blue&limit=2&sort=title&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ items: [{ title: 'red-blue' }], nextCursor: null });
    expectProblem(await api.call(owner, 'GET', `/tasks?labels=green&limit=2&sort=title&cursor=${first.nextCursor}`), 400, ['cursor']);
  });

  it.each([
    ['labelMatch=some&labels=red', 'labelMatch'],
    [`labels=${'x'.repeat(51)}`, 'labels'],
    [`labels=${Array.from({ length: 21 }, (_, index) => `l${index}`).join(',')}`, 'labels'],
    ['labels=a%00b', 'labels'],
  ])('%s answers 400 naming %s', async (query, field) => {
    expectProblem(await api.call(owner, 'GET', `/tasks?${query}`), 400, [field]);
  });
});

describe('GET, PATCH and DELETE /labels', () => {
  let account: TestAccount;

  beforeEach(async () => {
    account = await registerAndLogin(api.app);
  });

  it('lists the labels of the live tasks with counts and the most used spelling, paged in key order', async () => {
    await createTask(api.call, account, { title: 'a', labels: ['Work', 'alpha'] });
    await createTask(api.call, account, { title: 'b', labels: ['work', 'beta'] });
    await createTask(api.call, account, { title: 'c', labels: ['work'] });
    const trashed = await createTask(api.call, account, { title: 'd', labels: ['gamma', 'work'] });
    await api.call(account, 'DELETE', `/tasks/${trashed.id}`);
    await createTask(api.call, other, { title: 'not theirs', labels: ['delta'] });

    const first = await labelsOf(account, '?limit=2');
    expect(first.items).toEqual([
      { name: 'alpha', taskCount: 1 },
      { name: 'beta', taskCount: 1 },
    ]);
    const second = await labelsOf(account, `?limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [{ name: 'work', taskCount: 3 }], nextCursor: null });
    expectProblem(await api.call(account, 'GET', '/labels?cursor=nonsense'), 400, ['cursor']);
  });

  it('renames a label on every task of the caller in any spelling, merging duplicates, each change versioned and recorded', async () => {
    const a = await createTask(api.call, account, { title: 'a', labels: ['Work', 'home'] });
    const b = await createTask(api.call, account, { title: 'b', labels: ['work', 'Job'] });
    const trashed = await createTask(api.call, account, { title: 't', labels: ['WORK'] });
    await api.call(account, 'DELETE', `/tasks/${trashed.id}`);
    const untouched = await createTask(api.call, account, { title: 'u', labels: ['home'] });
    const theirs = await createTask(api.call, other, { title: 'theirs', labels: ['work'] });

    const renamed = await api.call(account, 'PATCH', '/labels/WoRk', { payload: { name: ' job ' } });
    expect({ status: renamed.statusCode, body: renamed.json() }).toEqual({ status: 200, body: { tasksChanged: 3 } });
    expect((await api.call(account, 'GET', `/tasks/${a.id}`)).json()).toMatchObject({ labels: ['job', 'home'], version: 2 });
    expect((await api.call(account, 'GET', `/tasks/${b.id}`)).json()).toMatchObject({ labels: ['job'], version: 2 });
    expect((await api.call(account, 'GET', `/tasks/${untouched.id}`)).json()).toMatchObject({ labels: ['home'], version: 1 });
    expect((await api.call(other, 'GET', `/tasks/${theirs.id}`)).json()).toMatchObject({ labels: ['work'], version: 1 });
    const [restored] = (await api.call(account, 'POST', `/tasks/${trashed.id}/restore`)).json().labels;
    expect(restored).toBe('job');

    const [entry] = (await api.call(account, 'GET', `/tasks/${b.id}/activity?limit=1`)).json().items;
    expect(entry).toMatchObject({ action: 'update', changes: { labels: { from: ['work', 'Job'], to: ['job'] } } });
    expect((await labelsOf(account)).items).toEqual([
      { name: 'home', taskCount: 2 },
      { name: 'job', taskCount: 3 },
    ]);

    const removed = await api.call(account, 'DELETE', '/labels/HOME');
    expect(removed.json()).toEqual({ tasksChanged: 2 });
    expect((await api.call(account, 'GET', `/tasks/${a.id}`)).json()).toMatchObject({ labels: ['job'], version: 3 });
    expectProblem(await api.call(account, 'DELETE', '/labels/home'), 404);
    expectProblem(await api.call(account, 'PATCH', '/labels/work', { payload: { name: 'x' } }), 404);
  });

  it.each([
    ['a comma in the path', '/labels/a%2Cb', { name: 'ok' }, 'name'],
    ['a name of 51 characters', '/labels/job', { name: 'x'.repeat(51) }, 'name'],
    ['an empty name', '/labels/job', { name: '  ' }, 'name'],
    ['a comma in the name', '/labels/job', { name: 'a,b' }, 'name'],
  ])('%s answers 400 naming the field, nothing written', async (_name, path, payload, field) => {
    const task = await createTask(api.call, account, { title: 'kept', labels: ['job'] });
    expectProblem(await api.call(account, 'PATCH', path, { payload }), 400, [field]);
    expect((await api.call(account, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ labels: ['job'], version: 1 });
  });

  it('a rename racing edits of the same tasks loses neither', async () => {
    const tasks = await Promise.all(Array.from({ length: 8 }, (_, index) => createTask(api.call, account, { title: `t${index}`, labels: ['old', `own${index}`] })));
    const [rename, ...edits] = await Promise.all([
      api.call(account, 'PATCH', '/labels/old', { payload: { name: 'new' } }),
      ...tasks.map((task) => api.call(account, 'PATCH', `/tasks/${task.id}`, { payload: { title: `${task.title} edited` } })),
    ]);
    expect([rename, ...edits].map((response) => response.statusCode)).toEqual(Array(9).fill(200));
    for (const [index, task] of tasks.entries()) {
      expect((await api.call(account, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ title: `t${index} edited`, labels: ['new', `own${index}`], version: 3 });
    }
  });

  it("a shared category's members see the owner's rename in their change feed; a member's rename leaves the owner's tasks alone", async () => {
    const member = await registerAndLogin(api.app);
    const category = await createCategory(api.call, account, { name: 'Shared labels' });
    await join(api.call, account, member, category.id, 'editor');
    const start = (await changesPage(api.call, member)).cursor;
    const shared = await createTask(api.call, member, { title: 'shared', categoryId: category.id, labels: ['team'] });
    expect(shared.labels).toEqual(['team']);

    expectProblem(await api.call(member, 'PATCH', '/labels/team', { payload: { name: 'mine' } }), 404);
    expect((await api.call(account, 'PATCH', '/labels/team', { payload: { name: 'squad' } })).json()).toEqual({ tasksChanged: 1 });
    const changes = (await changesPage(api.call, member, start)).changes;
    expect(changes.at(-1)).toMatchObject({ entityId: shared.id, op: 'upsert', data: { labels: ['squad'] } });
  });

  it('a rename reaches exactly the people who see each task: not the members of other categories', async () => {
    const [labeller, member, outsider, outsidersHost] = await Promise.all([1, 2, 3, 4].map(() => registerAndLogin(api.app)));
    const category = await createCategory(api.call, labeller, { name: 'Crew' });
    await join(api.call, labeller, member, category.id, 'viewer');
    // The outsider is a member elsewhere: memberships exist that have nothing to do with the labeller.
    await join(api.call, outsidersHost, outsider, (await createCategory(api.call, outsidersHost, { name: 'Elsewhere' })).id, 'editor');
    const [memberStart, outsiderStart] = [(await changesPage(api.call, member)).cursor, (await changesPage(api.call, outsider)).cursor];
    const inCategory = await createTask(api.call, labeller, { title: 'crew task', categoryId: category.id, labels: ['Solo'] });
    const private_ = await createTask(api.call, labeller, { title: 'own task', labels: ['solo'] });

    expect((await api.call(labeller, 'PATCH', '/labels/solo', { payload: { name: 'alone' } })).json()).toEqual({ tasksChanged: 2 });
    const memberChanges = (await changesPage(api.call, member, memberStart)).changes;
    // The feed gives each task once, as it is now.
    expect(memberChanges.map((change: { entityId: string }) => change.entityId)).toEqual([inCategory.id]);
    expect(memberChanges.at(-1)).toMatchObject({ op: 'upsert', data: { labels: ['alone'] } });
    expect((await changesPage(api.call, outsider, outsiderStart)).changes).toEqual([]);
    const outsiderActivity = (await api.call(outsider, 'GET', '/activity')).json().items;
    expect(outsiderActivity.map((entry: { entityId: string }) => entry.entityId)).not.toContain(private_.id);
    expect(outsiderActivity.map((entry: { entityId: string }) => entry.entityId)).not.toContain(inCategory.id);
  });
});
