import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { listAll } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, MISSING_ID, type TaskBody } from './support/tasks-fixtures.js';

const api = apiTest();
let owner: TestAccount;

beforeEach(async () => {
  owner = await registerAndLogin(api.app);
});

type Task = TaskBody;

const task = (payload: object) => createTask(api.call, owner, { title: 'Task', ...payload }) as Promise<Task>;
const read = async (id: string) => (await api.call(owner, 'GET', `/tasks/${id}`)).json() as Task;
const patch = (id: string, payload: object) => api.call(owner, 'PATCH', `/tasks/${id}`, { payload });
const titles = async (query: string) => (await listAll(api.call, owner, query, 5)).map((listed) => listed.title).sort();

describe('subtasks', () => {
  it('hang under a parent, which counts them; parentId filters them', async () => {
    const parent = await task({ title: 'Trip' });
    const tickets = await task({ title: 'Tickets', parentId: parent.id });
    await task({ title: 'Hotel', parentId: parent.id });
    expect(tickets).toMatchObject({ parentId: parent.id, subtasks: { total: 0, completed: 0 } });
    expect((await read(parent.id)).subtasks).toEqual({ total: 2, completed: 0 });

    await api.call(owner, 'POST', `/tasks/${tickets.id}/toggle`);
    expect((await read(parent.id)).subtasks).toEqual({ total: 2, completed: 1 });
    expect(await titles(`parentId=${parent.id}`)).toEqual(['Hotel', 'Tickets']);
    expect(await titles('parentId=none')).toEqual(['Trip']);
    expectProblem(await api.call(owner, 'GET', '/tasks?parentId=nope'), 400, ['parentId']);
  });

  it('completing a parent completes its open subtasks, at every level, each recorded in activity', async () => {
    const parent = await task({ title: 'Move house' });
    const packing = await task({ title: 'Packing', parentId: parent.id });
    const books = await task({ title: 'Books', parentId: packing.id });
    const done = await task({ title: 'Done already', parentId: parent.id, status: 'completed' });

    const completed = (await api.call(owner, 'POST', `/tasks/${parent.id}/toggle`)).json();
    expect(completed).toMatchObject({ status: 'completed', subtasks: { total: 2, completed: 2 } });
    for (const sub of [packing, books]) {
      const now = await read(sub.id);
      expect(now).toMatchObject({ status: 'completed', completedAt: expect.any(String), version: 2 });
      const [entry] = (await api.call(owner, 'GET', `/tasks/${sub.id}/activity?limit=1`)).json().items;
      expect(entry).toMatchObject({ action: 'update', changes: { status: { from: 'pending', to: 'completed' } } });
    }
    expect((await read(done.id)).version).toBe(1);
  });

  it('trashing a parent trashes its subtasks and restoring it restores them; one trashed before stays in the trash', async () => {
    const parent = await task({ title: 'Parent' });
    const kept = await task({ title: 'Kept', parentId: parent.id });
    const trashedBefore = await task({ title: 'Trashed before', parentId: parent.id });
    expect((await api.call(owner, 'DELETE', `/tasks/${trashedBefore.id}`)).statusCode).toBe(204);

    expect((await api.call(owner, 'DELETE', `/tasks/${parent.id}`)).statusCode).toBe(204);
    expectProblem(await api.call(owner, 'GET', `/tasks/${kept.id}`), 404);
    const [entry] = (await api.call(owner, 'GET', `/activity?limit=1&entityType=task&action=delete`)).json().items;
    expect(entry).toMatchObject({ entityId: kept.id, action: 'delete' });

    const restored = (await api.call(owner, 'POST', `/tasks/${parent.id}/restore`)).json();
    expect(restored.subtasks).toEqual({ total: 1, completed: 0 });
    expect(await read(kept.id)).toMatchObject({ parentId: parent.id, deletedAt: null });
    expectProblem(await api.call(owner, 'GET', `/tasks/${trashedBefore.id}`), 404);
  });

  it('a subtask restored while its parent is in the trash comes back on its own', async () => {
    const parent = await task({ title: 'Parent' });
    const child = await task({ title: 'Child', parentId: parent.id });
    await api.call(owner, 'DELETE', `/tasks/${parent.id}`);
    const restored = (await api.call(owner, 'POST', `/tasks/${child.id}/restore`)).json();
    expect(restored).toMatchObject({ parentId: null, deletedAt: null });
  });

  it('refuses parents out of reach, in another category, cycles and a fifth level, naming the field and writing nothing', async () => {
    const category = await createCategory(api.call, owner, { name: 'Work' });
    const top = await task({ title: 'Top' });
    const stranger = await registerAndLogin(api.app);
    const theirs = await createTask(api.call, stranger, { title: 'Theirs' });
    const create = (payload: object) => api.call(owner, 'POST', '/tasks', { payload: { title: 'Child', ...payload } });
    expectProblem(await create({ parentId: MISSING_ID }), 400, ['parentId']);
    expectProblem(await create({ parentId: theirs.id }), 400, ['parentId']);
    expectProblem(await create({ parentId: top.id, categoryId: category.id }), 400, ['parentId']);
    expectProblem(await create({ parentId: 'not-a-uuid' }), 400, ['parentId']);

    const levels = [top];
    for (let depth = 2; depth <= 4; depth++) {
      levels.push(await task({ title: `Level ${depth}`, parentId: levels.at(-1)!.id }));
    }
    expectProblem(await create({ parentId: levels[3].id }), 400, ['parentId']);
    expectProblem(await patch(top.id, { parentId: top.id }), 400, ['parentId']);
    expectProblem(await patch(top.id, { parentId: levels[2].id }), 400, ['parentId']);
    // Moving a two-level branch under a task at level 3 would make five levels.
    const branch = await task({ title: 'Branch' });
    await task({ title: 'Leaf', parentId: branch.id });
    expectProblem(await patch(branch.id, { parentId: levels[2].id }), 400, ['parentId']);
    expect((await patch(branch.id, { parentId: levels[1].id })).statusCode).toBe(200);

    expectProblem(await patch(levels[1].id, { categoryId: category.id }), 400, ['categoryId']);
    expectProblem(await patch(top.id, { categoryId: category.id }), 400, ['categoryId']);
    expect((await read(top.id)).version).toBe(1);
    expect((await read(levels[1].id))).toMatchObject({ version: 1, categoryId: null, parentId: top.id });
    const detached = (await patch(levels[3].id, { parentId: null, categoryId: category.id })).json();
    expect(detached).toMatchObject({ parentId: null, categoryId: category.id });
  });

  it('a recurring parent moving on to its next due date starts its subtasks over', async () => {
    const parent = await task({ title: 'Weekly review', dueDate: '2027-01-04T08:00:00Z', recurrence: { rule: 'FREQ=WEEKLY', timeZone: 'UTC' } });
    const step = await task({ title: 'Inbox zero', parentId: parent.id });
    await api.call(owner, 'POST', `/tasks/${step.id}/toggle`);
    const advanced = (await api.call(owner, 'POST', `/tasks/${parent.id}/toggle`)).json();
    expect(advanced).toMatchObject({ status: 'pending', dueDate: '2027-01-11T08:00:00.000Z', subtasks: { total: 1, completed: 0 } });
    expect(await read(step.id)).toMatchObject({ status: 'pending', completedAt: null });
  });

  it('deleting a category makes its tasks top-level private tasks again', async () => {
    const category = await createCategory(api.call, owner, { name: 'Gone' });
    const parent = await task({ title: 'Parent', categoryId: category.id });
    const child = await task({ title: 'Child', categoryId: category.id, parentId: parent.id });
    expect((await api.call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    expect(await read(child.id)).toMatchObject({ categoryId: null, parentId: null });
  });

  it('two concurrent re-parentings that would close a loop: one lands, the other is refused', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [await task({ title: `A${round}` }), await task({ title: `B${round}` })];
      const answers = await Promise.all([patch(a.id, { parentId: b.id }), patch(b.id, { parentId: a.id })]);
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 400]);
      const [readA, readB] = [await read(a.id), await read(b.id)];
      expect([readA.parentId, readB.parentId].filter((parentId) => parentId !== null)).toHaveLength(1);
    }
  });
});
