import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TrashService } from '../src/tasks/trash.service.js';
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
  type Call,
  type TaskBody,
} from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let owner: TestAccount;
let stranger: TestAccount;

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  [owner, stranger] = await Promise.all([registerAndLogin(app), registerAndLogin(app)]);
});

afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await app.close();
});

async function trashed(title: string, account = owner): Promise<TaskBody> {
  const task = await createTask(call, account, { title });
  expect((await call(account, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(204);
  return task;
}

const listIds = async (path: string, account = owner) => ((await call(account, 'GET', path)).json().items as TaskBody[]).map((task) => task.id);

describe('DELETE /tasks/{id} moves a task to the trash', () => {
  it('takes it out of reads, lists, counts, stats and category counts', async () => {
    const category = await createCategory(call, owner, { name: 'Trash counts' });
    const kept = await createTask(call, owner, { title: 'Kept', categoryId: category.id });
    const gone = await trashed('Gone', owner);
    await call(owner, 'PATCH', `/tasks/${kept.id}`, { payload: {} });
    const inCategory = await createTask(call, owner, { title: 'Gone too', categoryId: category.id, status: 'completed' });
    await call(owner, 'DELETE', `/tasks/${inCategory.id}`);

    expectProblem(await call(owner, 'GET', `/tasks/${gone.id}`), 404);
    expectProblem(await call(owner, 'PATCH', `/tasks/${gone.id}`, { payload: { title: 'x' } }), 404);
    expectProblem(await call(owner, 'POST', `/tasks/${gone.id}/toggle`), 404);
    expectProblem(await call(owner, 'DELETE', `/tasks/${gone.id}`), 404);
    const list = (await call(owner, 'GET', '/tasks?includeTotal=true')).json();
    expect(list.items.map((task: TaskBody) => task.id)).toEqual([kept.id]);
    expect(list.total).toBe(1);
    expect((await call(owner, 'GET', `/tasks?q=Gone`)).json().items).toEqual([]);
    const stats = (await call(owner, 'GET', '/tasks/stats')).json();
    expect(stats).toMatchObject({ total: 1, byStatus: { completed: 0 } });
    expect((await call(owner, 'GET', `/categories/${category.id}`)).json().taskCount).toBe(1);
  });

  it('lists trashed tasks newest first with deletedAt, keyset-paged', async () => {
    const account = await registerAndLogin(app);
    const tasks: TaskBody[] = [];
    for (const title of ['t1', 't2', 't3', 't4', 't5']) {
      tasks.push(await trashed(title, account));
    }
    const seen: TaskBody[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call(account, 'GET', `/trash?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode).toBe(200);
      const page = response.json();
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((task) => task.title)).toEqual(['t5', 't4', 't3', 't2', 't1']);
    expect(seen.every((task) => ISO_UTC.test(task.deletedAt!))).toBe(true);
    expect(await listIds('/trash', owner)).not.toContain(tasks[0].id);
    expectProblem(await call(account, 'GET', '/trash?cursor=not-a-cursor'), 400, ['cursor']);
    expectProblem(await call(account, 'GET', '/trash?limit=0'), 400, ['limit']);
  });
});

describe('POST /tasks/{id}/restore', () => {
  it('brings the task back with its fields, a new version and ETag', async () => {
    const task = await createTask(call, owner, { title: 'Come back', description: 'as I was', priority: 'high', dueDate: '2027-01-05T09:00:00Z' });
    await call(owner, 'DELETE', `/tasks/${task.id}`);
    const [listed] = (await call(owner, 'GET', '/trash')).json().items as TaskBody[];
    expect(listed).toMatchObject({ id: task.id, version: task.version + 1 });

    const restored = await call(owner, 'POST', `/tasks/${task.id}/restore`);
    expect(restored.statusCode).toBe(200);
    const body = restored.json();
    expect(body).toEqual({ ...task, version: task.version + 2, updatedAt: expect.stringMatching(ISO_UTC), deletedAt: null });
    expect(restored.headers.etag).toBe(`"${task.id}.${task.version + 2}"`);
    expect((await call(owner, 'GET', `/tasks/${task.id}`)).json()).toEqual(body);
    expect(await listIds('/trash')).not.toContain(task.id);
  });

  it('answers 404 for a task not in the trash, in another user\'s trash, or unknown', async () => {
    const live = await createTask(call, owner, { title: 'Not trashed' });
    const foreign = await trashed('Foreign', stranger);
    for (const id of [live.id, foreign.id, MISSING_ID]) {
      expectProblem(await call(owner, 'POST', `/tasks/${id}/restore`), 404);
    }
    expect(await taskRow(app, foreign.id)).toMatchObject({ deleted_at: expect.any(String) });
    expectProblem(await call(owner, 'POST', '/tasks/abc/restore'), 400, ['id']);
  });

  it('clears the category when the category went meanwhile', async () => {
    const category = await createCategory(call, owner, { name: 'Short-lived' });
    const task = await trashed('Filed', owner);
    await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { categoryId: category.id } });
    const filed = await createTask(call, owner, { title: 'Filed', categoryId: category.id });
    await call(owner, 'DELETE', `/tasks/${filed.id}`);
    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    const restored = await call(owner, 'POST', `/tasks/${filed.id}/restore`);
    expect(restored.json()).toMatchObject({ categoryId: null, version: filed.version + 3 });
  });

  it('honours If-Match: a stale tag gets 412 and changes nothing; of concurrent restores one wins', async () => {
    const task = await trashed('Conditional restore');
    const trashedVersion = task.version + 1;
    const before = await taskRow(app, task.id);
    expectProblem(await call(owner, 'POST', `/tasks/${task.id}/restore`, { headers: { 'if-match': `"${task.id}.${task.version}"` } }), 412);
    expect(await taskRow(app, task.id)).toEqual(before);

    const current = `"${task.id}.${trashedVersion}"`;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call(owner, 'POST', `/tasks/${task.id}/restore`, { headers: { 'if-match': current } })),
    );
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    // The losers find the task gone from the trash (404) or changed (412).
    expect(statuses.every((status) => [200, 404, 412].includes(status))).toBe(true);
    const [{ count }] = await sql<{ count: number }>(app, `select count(*)::int as count from activity where entity_id = ? and action = 'restore'`, [task.id]);
    expect(count).toBe(1);
  });
});

describe('DELETE /trash/{id}', () => {
  it('deletes a trashed task for good; a live or foreign one answers 404', async () => {
    const task = await trashed('Forever');
    const live = await createTask(call, owner, { title: 'Alive' });
    const foreign = await trashed('Not mine', stranger);
    expectProblem(await call(owner, 'DELETE', `/trash/${live.id}`), 404);
    expectProblem(await call(owner, 'DELETE', `/trash/${foreign.id}`), 404);
    expectProblem(await call(owner, 'DELETE', `/trash/${task.id}`, { headers: { 'if-match': `"${task.id}.${task.version}"` } }), 412);
    expect(await taskRow(app, task.id)).toBeDefined();

    const response = await call(owner, 'DELETE', `/trash/${task.id}`, { headers: { 'if-match': `"${task.id}.${task.version + 1}"` } });
    expect(response.statusCode).toBe(204);
    expect(await taskRow(app, task.id)).toBeUndefined();
    expect(await taskRow(app, live.id)).toBeDefined();
    expect(await taskRow(app, foreign.id)).toBeDefined();
    expectProblem(await call(owner, 'POST', `/tasks/${task.id}/restore`), 404);
    expectProblem(await call(owner, 'DELETE', `/trash/${task.id}`), 404);
  });

  it('frees the task quota only when the task is deleted for good', async () => {
    const account = await registerAndLogin(app);
    const task = await trashed('Counted', account);
    const [counted] = await sql<{ task_count: number }>(app, 'select task_count from users where id = ?', [account.id]);
    expect(counted.task_count).toBe(1);
    await call(account, 'DELETE', `/trash/${task.id}`);
    const [freed] = await sql<{ task_count: number }>(app, 'select task_count from users where id = ?', [account.id]);
    expect(freed.task_count).toBe(0);
  });
});

describe('trash retention', () => {
  it('purges trash older than TRASH_RETENTION, once, even with several instances running the job', async () => {
    const account = await registerAndLogin(app);
    const old = await Promise.all(['old 1', 'old 2', 'old 3'].map((title) => trashed(title, account)));
    const recent = await trashed('recent', account);
    await sql(app, `update tasks set deleted_at = now() - interval '31 days' where id = any(?::uuid[])`, [`{${old.map((task) => task.id).join(',')}}`]);

    const trash = app.get(TrashService);
    const purged = await Promise.all([trash.purgeExpired(), trash.purgeExpired(), trash.purgeExpired()]);
    expect(purged.reduce((sum, count) => sum + count, 0)).toBe(3);
    expect(await listIds('/trash', account)).toEqual([recent.id]);
    const entries = await sql<{ entity_id: string; actor_id: string | null }>(
      app,
      `select entity_id, actor_id from activity where user_id = ? and action = 'purge'`,
      [account.id],
    );
    expect(entries.map((entry) => entry.entity_id).sort()).toEqual(old.map((task) => task.id).sort());
    expect(entries.every((entry) => entry.actor_id === null)).toBe(true);
  });
});
