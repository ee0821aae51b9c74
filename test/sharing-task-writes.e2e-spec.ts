import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { categoryWithMembers, expectForbidden, idsOf, join, listAll, summary, taskCalls } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, MISSING_ID, sql, taskRow, type CategoryBody } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;
const { get, patch } = taskCalls(call);

let owner: TestAccount;
let editor: TestAccount;
let viewer: TestAccount;
let stranger: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  ({ owner, editor, viewer, stranger, category } = await categoryWithMembers(api.app, call));
});

const assigneeColumn = async (id: string) => (await sql<{ a: string | null }>(api.app, 'select assignee_id::text as a from tasks where id = ?', [id]))[0].a;
const tasksInCategory = async (id: string) => (await sql<{ n: number }>(api.app, 'select count(*)::int as n from tasks where category_id = ?', [id]))[0].n;

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
