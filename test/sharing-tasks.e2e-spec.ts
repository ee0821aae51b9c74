import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { expectForbidden, join, listAll, summary, TaskMirror } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, MISSING_ID, sql, taskRow, type CategoryBody, type TaskBody } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;

let owner: TestAccount;
let editor: TestAccount;
let viewer: TestAccount;
let stranger: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  [owner, editor, viewer, stranger] = await Promise.all([0, 1, 2, 3].map(() => registerAndLogin(api.app)));
  category = await createCategory(call, owner, { name: 'Shared', color: '#112233' });
  await join(call, owner, editor, category.id, 'editor');
  await join(call, owner, viewer, category.id, 'viewer');
});

const idsOf = (tasks: Array<{ id: string }>) => tasks.map((task) => task.id).sort();
const get = (account: TestAccount, id: string) => call(account, 'GET', `/tasks/${id}`);
const patch = (account: TestAccount, id: string, payload: object) => call(account, 'PATCH', `/tasks/${id}`, { payload });
const assigneeColumn = async (id: string) => (await sql<{ a: string | null }>(api.app, 'select assignee_id::text as a from tasks where id = ?', [id]))[0].a;
const tasksInCategory = async (id: string) => (await sql<{ n: number }>(api.app, 'select count(*)::int as n from tasks where category_id = ?', [id]))[0].n;

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

describe('concurrent sharing and writing', () => {
  it('members joining and leaving while others write tasks in the category: every request succeeds (no deadlock reaches a caller)', async () => {
    for (let round = 0; round < 5; round++) {
      const shared = await createCategory(call, owner, { name: `Concurrent ${round}` });
      await join(call, owner, editor, shared.id, 'editor');
      await join(call, owner, viewer, shared.id, 'viewer');
      const joiners = await Promise.all([0, 1, 2].map(() => registerAndLogin(api.app)));
      const invitations = await Promise.all(
        joiners.map(async (joiner) => (await call(owner, 'POST', `/categories/${shared.id}/invitations`, { payload: { login: joiner.username, role: 'editor' } })).json().id as string),
      );
      // Each join appends to every member's stream and each write too, in one transaction each.
      const responses = await Promise.all([
        ...joiners.map((joiner, index) => call(joiner, 'POST', `/invitations/${invitations[index]}/accept`)),
        ...[owner, editor, owner, editor].map((writer, index) => call(writer, 'POST', '/tasks', { payload: { title: `Concurrent ${index}`, categoryId: shared.id } })),
        call(viewer, 'DELETE', `/categories/${shared.id}/members/${viewer.id}`),
      ]);
      expect(responses.map((response) => response.statusCode).sort()).toEqual([200, 200, 200, 201, 201, 201, 201, 204]);
      expect(await tasksInCategory(shared.id)).toBe(4);
    }
  });
});

describe('roles on task writes', () => {
  it('refuses every write of a viewer with 403 forbidden and hides the task from a non-member', async () => {
    const task = await createTask(call, owner, { title: 'read only for the viewer', categoryId: category.id });
    const before = await taskRow(api.app, task.id);
    expectForbidden(await patch(viewer, task.id, { title: 'changed by the viewer' }));
    expectForbidden(await call(viewer, 'POST', `/tasks/${task.id}/toggle`));
    expectForbidden(await call(viewer, 'DELETE', `/tasks/${task.id}`));
    expectForbidden(await call(viewer, 'POST', '/tasks', { payload: { title: 'filed by the viewer', categoryId: category.id } }));
    for (const [method, path] of [['GET', ''], ['PATCH', ''], ['POST', '/toggle'], ['DELETE', ''], ['GET', '/activity']] as const) {
      expectProblem(await call(stranger, method, `/tasks/${task.id}${path}`, method === 'PATCH' ? { payload: { title: 'x' } } : {}), 404);
    }
    expect(await taskRow(api.app, task.id)).toEqual(before);
    expect(await tasksInCategory(category.id)).toBe(1);

    // The editor does all of it, trash and restore included; the viewer cannot restore.
    expect((await patch(editor, task.id, { title: 'edited' })).json()).toMatchObject({ title: 'edited', version: 2 });
    expect((await call(editor, 'POST', `/tasks/${task.id}/toggle`)).json()).toMatchObject({ status: 'completed' });
    expect((await call(editor, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(204);
    expectForbidden(await call(viewer, 'POST', `/tasks/${task.id}/restore`));
    expect((await call(editor, 'POST', `/tasks/${task.id}/restore`)).json()).toMatchObject({ deletedAt: null, title: 'edited' });
    expect((await get(viewer, task.id)).json()).toMatchObject({ title: 'edited', status: 'completed', createdBy: summary(owner) });
    // Roles are read on every write: a demoted editor is refused at once.
    expect((await call(owner, 'PATCH', `/categories/${category.id}/members/${editor.id}`, { payload: { role: 'viewer' } })).statusCode).toBe(200);
    expectForbidden(await patch(editor, task.id, { title: 'after demotion' }));
    expect((await get(editor, task.id)).json().title).toBe('edited');
  });
});

describe('assignees', () => {
  it('assigns members only, filters by assignee, and a removed member is unassigned with an activity entry', async () => {
    const task = await createTask(call, owner, { title: 'for the editor', categoryId: category.id });
    const assigned = await patch(owner, task.id, { assigneeId: editor.id });
    expect(assigned.statusCode).toBe(200);
    expect(assigned.json().assignee).toEqual(summary(editor));
    const forViewer = await createTask(call, editor, { title: 'for the viewer', categoryId: category.id, assigneeId: viewer.id });
    expect(forViewer.assignee).toEqual(summary(viewer));
    const nobodys = await createTask(call, editor, { title: 'nobody', categoryId: category.id });
    const editorsOwn = await createTask(call, editor, { title: 'private, self-assigned', assigneeId: editor.id });
    expect(editorsOwn.assignee).toEqual(summary(editor));

    const filtered = async (account: TestAccount, assignee: string) => idsOf(await listAll(call, account, `assignee=${assignee}`));
    expect(await filtered(editor, 'me')).toEqual(idsOf([task, editorsOwn]));
    expect(await filtered(viewer, 'me')).toEqual([forViewer.id]);
    expect(await filtered(owner, 'none')).toEqual([nobodys.id]);
    expect(await filtered(owner, editor.id)).toEqual([task.id]);
    expect(await filtered(owner, editor.id.toUpperCase())).toEqual([task.id]);
    expect(await filtered(stranger, editor.id)).toEqual([]);

    // Not a member: 400 naming assigneeId, nothing written.
    const before = await taskRow(api.app, task.id);
    expectProblem(await patch(owner, task.id, { assigneeId: stranger.id }), 400, ['assigneeId']);
    expectProblem(await patch(owner, task.id, { assigneeId: MISSING_ID }), 400, ['assigneeId']);
    expectProblem(await call(editor, 'POST', '/tasks', { payload: { title: 'x', categoryId: category.id, assigneeId: stranger.id } }), 400, ['assigneeId']);
    expect(await taskRow(api.app, task.id)).toEqual(before);
    expect(await assigneeColumn(task.id)).toBe(editor.id);
    expect(await tasksInCategory(category.id)).toBe(3);
    // An uncategorised task: only its owner.
    expectProblem(await patch(editor, editorsOwn.id, { assigneeId: owner.id }), 400, ['assigneeId']);
    expectProblem(await call(editor, 'POST', '/tasks', { payload: { title: 'x', assigneeId: viewer.id } }), 400, ['assigneeId']);
    expect(await assigneeColumn(editorsOwn.id)).toBe(editor.id);
    expect((await patch(editor, editorsOwn.id, { assigneeId: null })).json().assignee).toBeNull();

    expect((await call(owner, 'DELETE', `/categories/${category.id}/members/${editor.id}`)).statusCode).toBe(204);
    expect((await get(owner, task.id)).json()).toMatchObject({ assignee: null, version: 3 });
    expect((await get(viewer, forViewer.id)).json().assignee).toEqual(summary(viewer));
    const [latest] = (await call(viewer, 'GET', `/tasks/${task.id}/activity`)).json().items;
    expect(latest).toMatchObject({ actor: { id: owner.id }, entityId: task.id, action: 'update', changes: { assignee: { from: { id: editor.id }, to: null } } });
    // A member leaving is unassigned the same way.
    expect((await call(viewer, 'DELETE', `/categories/${category.id}/members/${viewer.id}`)).statusCode).toBe(204);
    expect((await get(owner, forViewer.id)).json().assignee).toBeNull();
  });
});

describe('moving tasks between categories', () => {
  it('needs editor on the target, 400 for a category not visible, and null makes it private to its creator', async () => {
    const otherOwner = await registerAndLogin(api.app);
    const viewedOnly = await createCategory(call, otherOwner, { name: 'Viewed only' });
    await join(call, otherOwner, editor, viewedOnly.id, 'viewer');
    const strangers = await createCategory(call, stranger, { name: 'Not visible' });
    const task = await createTask(call, editor, { title: 'moving', categoryId: category.id, assigneeId: viewer.id });
    const before = await taskRow(api.app, task.id);
    expectForbidden(await patch(editor, task.id, { categoryId: viewedOnly.id }));
    expectProblem(await patch(editor, task.id, { categoryId: strangers.id }), 400, ['categoryId']);
    expectProblem(await patch(editor, task.id, { categoryId: MISSING_ID }), 400, ['categoryId']);
    expectForbidden(await patch(viewer, task.id, { categoryId: null }));
    expect(await taskRow(api.app, task.id)).toEqual(before);

    const moved = await patch(editor, task.id, { categoryId: null });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ categoryId: null, createdBy: summary(editor), assignee: null });
    expectProblem(await get(owner, task.id), 404);
    expectProblem(await get(viewer, task.id), 404);
    expect((await get(editor, task.id)).json()).toEqual(moved.json());
    expect(idsOf(await listAll(call, editor, 'scope=own'))).toEqual([task.id]);
    expect(await listAll(call, owner)).toEqual([]);

    // Back in, then into the editor's own category: the owner of the shared one loses it.
    expect((await patch(editor, task.id, { categoryId: category.id })).json()).toMatchObject({ categoryId: category.id });
    expect((await get(viewer, task.id)).statusCode).toBe(200);
    const mine = await createCategory(call, editor, { name: 'Mine' });
    expect((await patch(editor, task.id, { categoryId: mine.id })).json()).toMatchObject({ categoryId: mine.id });
    expectProblem(await get(owner, task.id), 404);
    // The owner moving out a task an editor created hands it to the editor.
    const ownersMove = await createTask(call, editor, { title: 'moved out by the owner', categoryId: category.id });
    expect((await patch(owner, ownersMove.id, { categoryId: null })).statusCode).toBe(200);
    expect((await get(editor, ownersMove.id)).json()).toMatchObject({ categoryId: null });
    expectProblem(await get(owner, ownersMove.id), 404);
  });
});

describe('when a category or an account goes', () => {
  it('deleting the category leaves its tasks uncategorised and private to their creators', async () => {
    const byEditor = await createTask(call, editor, { title: 'by the editor', categoryId: category.id });
    const byOwner = await createTask(call, owner, { title: 'by the owner', categoryId: category.id });
    const feeds = await Promise.all([owner, editor, viewer].map((account) => new TaskMirror(call, account).start()));
    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    expect((await get(editor, byEditor.id)).json()).toMatchObject({ categoryId: null, createdBy: summary(editor) });
    expect((await get(owner, byOwner.id)).json()).toMatchObject({ categoryId: null, createdBy: summary(owner) });
    for (const [account, id] of [[owner, byEditor.id], [editor, byOwner.id], [viewer, byEditor.id], [viewer, byOwner.id]] as const) {
      expectProblem(await get(account, id), 404);
    }
    expect(idsOf(await listAll(call, editor, 'scope=own'))).toEqual([byEditor.id]);
    expect(await listAll(call, viewer)).toEqual([]);
    for (const feed of feeds) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
  });

  it("deleting the editor's account leaves their task in the owner's category, created by the owner, and feeds say so", async () => {
    const ownerFeed = await new TaskMirror(call, owner).start();
    const task = await createTask(call, editor, { title: 'outlives its creator', categoryId: category.id, assigneeId: editor.id });
    await ownerFeed.drain();
    expect(ownerFeed.tasks.get(task.id)).toEqual(task);
    const deleted = await call(editor, 'DELETE', '/users/me', { payload: { password: editor.password } });
    expect(deleted.statusCode).toBe(204);
    const now = (await get(owner, task.id)).json();
    expect(now).toMatchObject({ categoryId: category.id, createdBy: summary(owner), assignee: null });
    expect((await get(viewer, task.id)).json()).toEqual(now);
    await ownerFeed.drain();
    await ownerFeed.expectEqualsListing();
  });
});

describe('feeds when membership starts and the owner goes', () => {
  it('a member joining gets the tasks in their feed, and every member loses them when the owner deletes the account', async () => {
    const task = await createTask(call, editor, { title: 'in the shared category', categoryId: category.id });
    const late = await registerAndLogin(api.app);
    const [lateFeed, editorFeed, viewerFeed] = await Promise.all([late, editor, viewer].map((account) => new TaskMirror(call, account).start()));
    expect(lateFeed.tasks.size).toBe(0);
    await join(call, owner, late, category.id, 'viewer');
    await lateFeed.drain();
    expect(lateFeed.tasks.get(task.id)).toEqual((await get(late, task.id)).json());

    expect((await call(owner, 'DELETE', '/users/me', { payload: { password: owner.password } })).statusCode).toBe(204);
    for (const feed of [lateFeed, editorFeed, viewerFeed]) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
  });
});

describe('the change feeds of members while another editor writes', () => {
  it('an editor and a viewer polling meanwhile mirror a fresh listing exactly; removed members get access_revoked', async () => {
    const writer = await registerAndLogin(api.app);
    await join(call, owner, writer, category.id, 'editor');
    const writersOwn = await createCategory(call, writer, { name: 'Writer own' });
    const seed = await createTask(call, owner, { title: 'there before', categoryId: category.id });
    await createTask(call, editor, { title: 'editor private' });
    await createTask(call, viewer, { title: 'viewer private' });
    const [editorFeed, viewerFeed, ownerFeed, writerFeed] = await Promise.all([editor, viewer, owner, writer].map((account) => new TaskMirror(call, account).start()));

    const expectOk = async (response: Promise<{ statusCode: number; body: string }>, what: string) => {
      const { statusCode, body } = await response;
      expect({ what, failed: statusCode < 300 ? null : `${statusCode} ${body}` }).toEqual({ what, failed: null });
    };
    const writes = async () => {
      const mine: string[] = [];
      const assignees = [writer.id, viewer.id, editor.id, null];
      for (let step = 0; step < 30; step++) {
        const target = mine[step % Math.max(1, mine.length)];
        switch (step % 6) {
          case 0:
            mine.push((await createTask(call, writer, { title: `w${step}`, categoryId: category.id, assigneeId: assignees[(step / 6) % 4] })).id);
            break;
          case 1:
            await expectOk(patch(writer, mine.at(-1)!, { title: `w${step} edited`, status: 'in_progress', assigneeId: writer.id }), 'edit');
            break;
          case 2:
            await expectOk(patch(writer, step % 4 === 0 ? seed.id : target, { categoryId: writersOwn.id }), 'move to own');
            await expectOk(call(writer, 'POST', `/tasks/${mine[0]}/toggle`), 'toggle');
            break;
          case 3:
            await expectOk(patch(writer, step % 4 === 1 ? seed.id : target, { categoryId: category.id }), 'move back');
            break;
          case 4:
            await expectOk(patch(writer, target, { categoryId: null }), 'move to none');
            await expectOk(call(writer, 'DELETE', `/tasks/${mine.at(-1)}`), 'trash');
            break;
          default:
            await expectOk(call(writer, 'POST', `/tasks/${mine.at(-1)}/restore`), 'restore');
            await expectOk(patch(writer, target, { categoryId: category.id, priority: 'high' }), 'move in from none');
        }
      }
      await expectOk(call(owner, 'DELETE', `/categories/${category.id}/members/${writer.id}`), 'remove the writer');
    };

    let writing = true;
    const follow = async (feed: TaskMirror) => {
      let polls = 0;
      for (; writing; polls++) await feed.poll(5);
      return polls;
    };
    const followers = Promise.all([follow(editorFeed), follow(viewerFeed), follow(ownerFeed)]);
    try {
      await writes();
    } finally {
      writing = false;
    }
    expect(Math.min(...(await followers))).toBeGreaterThan(1);
    for (const feed of [editorFeed, viewerFeed, ownerFeed]) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
    // Moves out of the category reached the members as deletes while they polled.
    expect(viewerFeed.seen.filter((change) => change.entityType === 'task' && change.op === 'delete').length).toBeGreaterThan(0);
    const sharedNow = await listAll(call, owner, `categoryId=${category.id}`);
    expect(sharedNow.length).toBeGreaterThan(3);
    expect(sharedNow.filter((task) => task.createdBy?.id === writer.id).length).toBeGreaterThan(0);
    expect(sharedNow.every((task) => task.assignee?.id !== writer.id)).toBe(true);
    expect(editorFeed.tasks.size).toBe(sharedNow.length + 1);

    // The removed writer's feed takes back every task of the category and the category itself.
    await writerFeed.drain();
    await writerFeed.expectEqualsListing();
    const revoked = { op: 'delete', reason: 'access_revoked' };
    const writerLatest = writerFeed.latestSince(0);
    for (const task of sharedNow) expect(writerLatest.get(`task:${task.id}`)).toMatchObject(revoked);
    expect(writerLatest.get(`category:${category.id}`)).toMatchObject(revoked);

    // So does the viewer's, once the owner removes them: only their own task is left.
    const from = viewerFeed.seen.length;
    expect((await call(owner, 'DELETE', `/categories/${category.id}/members/${viewer.id}`)).statusCode).toBe(204);
    await viewerFeed.drain();
    const viewerLatest = viewerFeed.latestSince(from);
    expect(viewerLatest.size).toBe(sharedNow.length + 1);
    for (const task of sharedNow) expect(viewerLatest.get(`task:${task.id}`)).toMatchObject(revoked);
    expect(viewerLatest.get(`category:${category.id}`)).toMatchObject(revoked);
    await viewerFeed.expectEqualsListing();
    expect(viewerFeed.tasks.size).toBe(1);
  });
});

