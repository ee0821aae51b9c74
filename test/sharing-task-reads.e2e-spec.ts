import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { categoryWithMembers, idsOf, join, listAll, summary, taskCalls } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, type CategoryBody, type TaskBody } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;
const { get } = taskCalls(call);

let owner: TestAccount;
let editor: TestAccount;
let viewer: TestAccount;
let stranger: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  ({ owner, editor, viewer, stranger, category } = await categoryWithMembers(api.app, call));
});

describe('members read the tasks of a shared category', () => {
  it('shows an editor-filed task to the owner and the viewer, and scopes own/shared/all per user', async () => {
    const filed = await createTask(call, editor, { title: 'filed by the editor', categoryId: category.id });
    expect(filed).toMatchObject({ categoryId: category.id, createdBy: summary(editor), assignee: null });
    for (const member of [owner, viewer, editor]) {
      expect((await get(member, filed.id)).json()).toEqual(filed);
    }
    expectProblem(await get(stranger, filed.id), 404);

    const byOwner = await createTask(call, owner, { title: 'filed by the owner', categoryId: category.id, status: 'completed' });
    const [ownerPrivate, editorPrivate, viewerPrivate] = await Promise.all(
      [owner, editor, viewer].map((account) => createTask(call, account, { title: `private of ${account.username}` })),
    );
    const shared = idsOf([filed, byOwner]);
    const expected = new Map<TestAccount, Record<'own' | 'shared', string[]>>([
      [owner, { own: idsOf([ownerPrivate, filed, byOwner]), shared: [] }],
      [editor, { own: [editorPrivate.id], shared }],
      [viewer, { own: [viewerPrivate.id], shared }],
      [stranger, { own: [], shared: [] }],
    ]);
    for (const [account, sets] of expected) {
      const all = [...sets.own, ...sets.shared].sort();
      for (const [scope, ids] of Object.entries({ ...sets, all })) {
        expect({ who: account.username, scope, ids: idsOf(await listAll(call, account, `scope=${scope}`, 2)) }).toEqual({ who: account.username, scope, ids });
        const totalled = (await call(account, 'GET', `/tasks?scope=${scope}&includeTotal=true&limit=1`)).json();
        expect({ scope, total: totalled.total }).toEqual({ scope, total: ids.length });
        const stats = (await call(account, 'GET', `/tasks/stats?scope=${scope}`)).json();
        expect({ scope, total: stats.total, completed: stats.byStatus.completed }).toEqual({ scope, total: ids.length, completed: ids.includes(byOwner.id) ? 1 : 0 });
      }
      // No scope means all.
      expect(idsOf((await call(account, 'GET', '/tasks?limit=100')).json().items)).toEqual(all);
    }
    expectProblem(await call(owner, 'GET', '/tasks?scope=everything'), 400, ['scope']);
  });

  it('pages own tasks and two shared categories by keyset, each task exactly once and in sort order', async () => {
    const otherOwner = await registerAndLogin(api.app);
    const other = await createCategory(call, otherOwner, { name: 'Other shared' });
    await join(call, otherOwner, editor, other.id, 'viewer');
    const mine = await createCategory(call, editor, { name: 'Mine' });
    const dues = ['2031-01-01T10:00:00.000Z', null, '2030-06-01T00:00:00.000Z', '2031-01-01T10:00:00.000Z', null];
    const plan: Array<[TestAccount, string | undefined]> = [
      [editor, undefined], [editor, mine.id], [owner, category.id], [editor, category.id], [otherOwner, other.id],
    ];
    const created: TaskBody[] = [];
    for (let i = 0; i < 20; i++) {
      const [author, categoryId] = plan[i % plan.length];
      created.push(await createTask(call, author, { title: `t${i}`, dueDate: dues[i % dues.length], ...(categoryId && { categoryId }) }));
    }
    await createTask(call, stranger, { title: 'never listed' });

    const inOrder = (sort: string) => (a: TaskBody, b: TaskBody) => {
      if (sort === '-createdAt') return b.createdAt.localeCompare(a.createdAt);
      if (a.dueDate === b.dueDate) return a.id.localeCompare(b.id);
      return a.dueDate === null ? 1 : b.dueDate === null ? -1 : a.dueDate.localeCompare(b.dueDate);
    };
    for (const sort of ['-createdAt', 'dueDate']) {
      const paged = await listAll(call, editor, `sort=${sort}`, 3);
      expect(idsOf(paged)).toEqual(idsOf(created));
      expect(paged.map((task) => task.id)).toEqual([...paged].sort(inOrder(sort)).map((task) => task.id));
      expect(paged.map((task) => task.id)).toEqual((await listAll(call, editor, `sort=${sort}`, 100)).map((task) => task.id));
      const shared = created.filter((task) => task.categoryId === category.id || task.categoryId === other.id);
      expect(idsOf(await listAll(call, editor, `scope=shared&sort=${sort}`, 2))).toEqual(idsOf(shared));
    }
    expect((await call(editor, 'GET', '/tasks?includeTotal=true&limit=3')).json().total).toBe(20);
    expect((await call(editor, 'GET', '/tasks/stats')).json().total).toBe(20);
    expect((await call(editor, 'GET', '/tasks/stats?scope=own')).json().total).toBe(8);
  });
});
