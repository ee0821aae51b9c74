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
  taskRow,
  UUID,
  type Call,
} from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let owner: TestAccount;

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  owner = await registerAndLogin(app);
});

afterAll(async () => {
  await app.close();
});

// Every case checks its own requests (emptied each time, so a 5xx is blamed on the case that saw
// it), and a case run alone with -t is still checked.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

const strongEtag = (id: string) => expect.stringMatching(new RegExp(`^"[^"]*${id}[^"]*"$`));

describe('POST /tasks', () => {
  it('creates a task with defaults, a Location and a strong ETag', async () => {
    const response = await call(owner, 'POST', '/tasks', { payload: { title: '  Write report  ' } });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(UUID),
      title: 'Write report',
      description: null,
      status: 'pending',
      priority: 'medium',
      dueDate: null,
      completedAt: null,
      labels: [],
      position: expect.any(String),
      recurrence: null,
      parentId: null,
      subtasks: { total: 0, completed: 0 },
      categoryId: null,
      createdBy: { id: owner.id, username: owner.username, name: expect.any(String) },
      assignee: null,
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
      version: expect.any(Number),
      deletedAt: null,
    });
    expect(response.headers.location).toBe(`/api/v1/tasks/${body.id}`);
    expect(response.headers.etag).toEqual(strongEtag(body.id));
    expect(await taskRow(app, body.id)).toMatchObject({ title: 'Write report', status: 'pending', priority: 'medium', due_date: null });
    const read = await call(owner, 'GET', (response.headers.location as string).replace(/^\/api\/v1/, ''));
    expect(read.json()).toEqual(body);
    expect(read.headers.etag).toBe(response.headers.etag);
  });

  it('stores every given field; dueDate keeps its instant whatever the offset', async () => {
    const category = await createCategory(call, owner, { name: 'Crud category' });
    const task = await createTask(call, owner, {
      title: 'Full',
      description: 'All the fields',
      status: 'in_progress',
      priority: 'high',
      dueDate: '2026-12-01T10:00:00+02:00',
      categoryId: category.id,
    });
    expect(task).toMatchObject({ description: 'All the fields', status: 'in_progress', priority: 'high', dueDate: '2026-12-01T08:00:00.000Z', categoryId: category.id, completedAt: null });
    expect(await taskRow(app, task.id)).toMatchObject({ due_date: '2026-12-01 08:00:00+00', category_id: category.id });
  });

  it('sets completedAt when created completed', async () => {
    const before = Date.now();
    const task = await createTask(call, owner, { title: 'Done already', status: 'completed' });
    expect(task.completedAt).toMatch(ISO_UTC);
    expect(Date.parse(task.completedAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('accepts a title of 200 characters after trimming and a description of 1,000', async () => {
    const task = await createTask(call, owner, { title: ` ${'t'.repeat(200)} `, description: 'd'.repeat(1000) });
    expect(task.title).toHaveLength(200);
    expect(task.description).toHaveLength(1000);
  });

  it.each([
    ['missing title', {}, ['title']],
    ['blank title', { title: '   ' }, ['title']],
    ['201-character title', { title: 't'.repeat(201) }, ['title']],
    ['numeric title', { title: 7 }, ['title']],
    ['1,001-character description', { title: 'x', description: 'd'.repeat(1001) }, ['description']],
    ['unknown status', { title: 'x', status: 'done' }, ['status']],
    ['null status', { title: 'x', status: null }, ['status']],
    ['unknown priority', { title: 'x', priority: 'urgent' }, ['priority']],
    ['null priority', { title: 'x', priority: null }, ['priority']],
    ['dueDate without offset', { title: 'x', dueDate: '2026-12-01T10:00:00' }, ['dueDate']],
    ['dueDate in month 13', { title: 'x', dueDate: '2026-13-01T10:00:00Z' }, ['dueDate']],
    ['dueDate on February 30', { title: 'x', dueDate: '2026-02-30T10:00:00Z' }, ['dueDate']],
    ['date-only dueDate', { title: 'x', dueDate: '2026-12-01' }, ['dueDate']],
    ['numeric dueDate', { title: 'x', dueDate: 1790000000000 }, ['dueDate']],
    ['malformed categoryId', { title: 'x', categoryId: 'abc' }, ['categoryId']],
    ['server-owned fields', { title: 'x', completedAt: '2026-01-01T00:00:00Z', version: 3, userId: MISSING_ID }, ['completedAt', 'version', 'userId']],
  ])('refuses a %s with 400 naming the field(s) and stores nothing', async (_name, payload, fields) => {
    const before = (await call(owner, 'GET', '/tasks?includeTotal=true')).json().total;
    expectProblem(await call(owner, 'POST', '/tasks', { payload }), 400, fields);
    expect((await call(owner, 'GET', '/tasks?includeTotal=true')).json().total).toBe(before);
  });

  it("answers a nonexistent category and another user's category with the same 400 on categoryId", async () => {
    const stranger = await registerAndLogin(app);
    const theirs = await createCategory(call, stranger, { name: 'Not yours' });
    const missing = await call(owner, 'POST', '/tasks', { payload: { title: 'x', categoryId: MISSING_ID } });
    const foreign = await call(owner, 'POST', '/tasks', { payload: { title: 'x', categoryId: theirs.id } });
    expectProblem(missing, 400, ['categoryId']);
    expectProblem(foreign, 400, ['categoryId']);
    expect(foreign.json()).toEqual(missing.json());
  });

  it('answers categoryId in its canonical lower-case form whatever case was sent', async () => {
    const category = await createCategory(call, owner, { name: 'Case test' });
    const created = await createTask(call, owner, { title: 'Upper-case reference', categoryId: category.id.toUpperCase() });
    expect(created.categoryId).toBe(category.id);
    expect((await call(owner, 'GET', `/tasks/${created.id}`)).json().categoryId).toBe(category.id);
  });

  it('answers 400 on broken JSON and 415 on a text/plain body', async () => {
    expectProblem(await call(owner, 'POST', '/tasks', { payload: '{"title": "x"', headers: { 'content-type': 'application/json' } }), 400);
    expectProblem(await call(owner, 'POST', '/tasks', { payload: 'title=x', headers: { 'content-type': 'text/plain' } }), 415);
  });

  it('requires a bearer token', async () => {
    expectProblem(await call(undefined, 'POST', '/tasks', { payload: { title: 'x' } }), 401);
    expectProblem(await call(undefined, 'GET', '/tasks'), 401);
  });
});

describe('GET /tasks/{id}', () => {
  it('answers 404 for a missing id and 400 naming id for a malformed one', async () => {
    expectProblem(await call(owner, 'GET', `/tasks/${MISSING_ID}`), 404);
    expectProblem(await call(owner, 'GET', '/tasks/abc'), 400, ['id']);
  });
});

describe('PATCH /tasks/{id}', () => {
  it('changes only the fields sent, bumps version and answers the new ETag', async () => {
    const task = await createTask(call, owner, { title: 'Before', description: 'keep', priority: 'low', dueDate: '2026-12-01T10:00:00Z' });
    const response = await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { title: ' After ', priority: 'high' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...task, title: 'After', priority: 'high', version: task.version + 1, updatedAt: expect.stringMatching(ISO_UTC) });
    expect(response.headers.etag).toEqual(strongEtag(task.id));
    expect((await call(owner, 'GET', `/tasks/${task.id}`)).headers.etag).toBe(response.headers.etag);
    expect(await taskRow(app, task.id)).toMatchObject({ title: 'After', description: 'keep', priority: 'high', version: task.version + 1 });
  });

  it('clears description, dueDate and categoryId with null', async () => {
    const category = await createCategory(call, owner, { name: 'To clear' });
    const task = await createTask(call, owner, { title: 'Clear me', description: 'text', dueDate: '2026-12-01T10:00:00Z', categoryId: category.id });
    const response = await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { description: null, dueDate: null, categoryId: null } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ title: 'Clear me', description: null, dueDate: null, categoryId: null });
    expect(await taskRow(app, task.id)).toMatchObject({ description: null, due_date: null, category_id: null });
  });

  it('moves a task into one of the caller’s categories', async () => {
    const category = await createCategory(call, owner, { name: 'Target' });
    const task = await createTask(call, owner, { title: 'Move me' });
    const response = await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { categoryId: category.id } });
    expect(response.json()).toMatchObject({ categoryId: category.id });
    expect((await taskRow(app, task.id))!.category_id).toBe(category.id);
  });

  it('refuses null title/status/priority, invalid values and server-owned fields, changing nothing', async () => {
    const stranger = await registerAndLogin(app);
    const theirs = await createCategory(call, stranger, { name: 'Theirs' });
    const task = await createTask(call, owner, { title: 'Stable' });
    const before = await taskRow(app, task.id);
    const cases: [object, string[]][] = [
      [{ title: null }, ['title']],
      [{ title: '' }, ['title']],
      [{ status: null }, ['status']],
      [{ priority: null }, ['priority']],
      [{ status: 'archived' }, ['status']],
      [{ dueDate: '2026-12-01T10:00:00' }, ['dueDate']],
      [{ description: 'd'.repeat(1001) }, ['description']],
      [{ completedAt: null }, ['completedAt']],
      [{ version: 9 }, ['version']],
      [{ id: MISSING_ID, userId: stranger.id }, ['id', 'userId']],
      [{ categoryId: MISSING_ID }, ['categoryId']],
      [{ categoryId: theirs.id }, ['categoryId']],
    ];
    for (const [payload, fields] of cases) {
      expectProblem(await call(owner, 'PATCH', `/tasks/${task.id}`, { payload }), 400, fields);
    }
    expect(await taskRow(app, task.id)).toEqual(before);
  });

  it('sets completedAt when the status becomes completed and clears it when it leaves', async () => {
    const task = await createTask(call, owner, { title: 'Lifecycle' });
    const done = (await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { status: 'completed' } })).json();
    expect(done.completedAt).toMatch(ISO_UTC);
    const retitled = (await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { title: 'Still done' } })).json();
    expect(retitled.completedAt).toBe(done.completedAt);
    const reopened = (await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { status: 'in_progress' } })).json();
    expect(reopened.completedAt).toBeNull();
    expect((await taskRow(app, task.id))!.completed_at).toBeNull();
  });

  it('answers 404 for a missing id, 400 for a malformed one, 415 for text/plain', async () => {
    expectProblem(await call(owner, 'PATCH', `/tasks/${MISSING_ID}`, { payload: { title: 'x' } }), 404);
    expectProblem(await call(owner, 'PATCH', '/tasks/abc', { payload: { title: 'x' } }), 400, ['id']);
    const task = await createTask(call, owner, { title: 'Plain' });
    expectProblem(await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: 'title=y', headers: { 'content-type': 'text/plain' } }), 415);
    expectProblem(await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: '{title:', headers: { 'content-type': 'application/json' } }), 400);
  });
});

describe('POST /tasks/{id}/toggle', () => {
  it.each(['pending', 'in_progress'] as const)('completes a %s task (completedAt set), then reopens it as pending (cleared)', async (status) => {
    const task = await createTask(call, owner, { title: `Toggle ${status}`, status });
    const first = await call(owner, 'POST', `/tasks/${task.id}/toggle`);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'completed', completedAt: expect.stringMatching(ISO_UTC), version: task.version + 1 });
    expect(first.headers.etag).toEqual(strongEtag(task.id));
    expect(await taskRow(app, task.id)).toMatchObject({ status: 'completed', completed_at: expect.any(String) });
    const second = await call(owner, 'POST', `/tasks/${task.id}/toggle`);
    expect(second.json()).toMatchObject({ status: 'pending', completedAt: null, version: task.version + 2 });
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(await taskRow(app, task.id)).toMatchObject({ status: 'pending', completed_at: null });
  });

  it('answers 404 for a missing id and 400 for a malformed one', async () => {
    expectProblem(await call(owner, 'POST', `/tasks/${MISSING_ID}/toggle`), 404);
    expectProblem(await call(owner, 'POST', '/tasks/abc/toggle'), 400, ['id']);
  });
});

describe('DELETE /tasks/{id}', () => {
  it('moves the task to the trash with 204 and no body; it is gone from reads', async () => {
    const task = await createTask(call, owner, { title: 'Delete me' });
    const response = await call(owner, 'DELETE', `/tasks/${task.id}`);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await taskRow(app, task.id)).toMatchObject({ title: 'Delete me', deleted_at: expect.any(String), version: task.version + 1 });
    expectProblem(await call(owner, 'GET', `/tasks/${task.id}`), 404);
    expectProblem(await call(owner, 'DELETE', `/tasks/${task.id}`), 404);
  });

  it('answers 400 for a malformed id', async () => {
    expectProblem(await call(owner, 'DELETE', '/tasks/abc'), 400, ['id']);
  });
});
