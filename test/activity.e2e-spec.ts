import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ActivityService } from '../src/activity/activity.service.js';
import { UnitOfWork } from '../src/database/unit-of-work.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, createCategory, createTask, expectProblem, ISO_UTC, sql, taskRow, type Call } from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let owner: TestAccount;
let stranger: TestAccount;

interface Entry {
  id: string;
  at: string;
  actor: { id: string; username: string } | null;
  entityType: string;
  entityId: string;
  action: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

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

const entriesOf = async (path: string, account = owner): Promise<Entry[]> => {
  const response = await call(account, 'GET', path);
  expect(response.statusCode).toBe(200);
  return response.json().items;
};

describe('GET /tasks/{id}/activity', () => {
  it('records every change with actor, fields before and after, newest first', async () => {
    const task = await createTask(call, owner, { title: 'Tracked', priority: 'low' });
    await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { title: 'Tracked!', priority: 'high', description: 'now with text' } });
    await call(owner, 'POST', `/tasks/${task.id}/toggle`);
    await call(owner, 'DELETE', `/tasks/${task.id}`);
    await call(owner, 'POST', `/tasks/${task.id}/restore`);

    const entries = await entriesOf(`/tasks/${task.id}/activity`);
    expect(entries.map((entry) => entry.action)).toEqual(['restore', 'delete', 'toggle', 'update', 'create']);
    const [restore, trash, toggle, update, create] = entries;
    for (const entry of entries) {
      expect(entry).toMatchObject({ actor: { id: owner.id, username: owner.username }, entityType: 'task', entityId: task.id, at: expect.stringMatching(ISO_UTC) });
    }
    expect(create.changes).toEqual({
      title: { from: null, to: 'Tracked' },
      status: { from: null, to: 'pending' },
      priority: { from: null, to: 'low' },
      position: { from: null, to: expect.any(String) },
    });
    expect(update.changes).toEqual({
      title: { from: 'Tracked', to: 'Tracked!' },
      priority: { from: 'low', to: 'high' },
      description: { from: null, to: 'now with text' },
    });
    expect(toggle.changes).toEqual({
      status: { from: 'pending', to: 'completed' },
      completedAt: { from: null, to: expect.stringMatching(ISO_UTC) },
    });
    expect(trash.changes).toEqual({ deletedAt: { from: null, to: expect.stringMatching(ISO_UTC) } });
    expect(restore.changes).toEqual({ deletedAt: { from: trash.changes.deletedAt.to, to: null } });
  });

  it('stores the request id of each change', async () => {
    const response = await call(owner, 'POST', '/tasks', { payload: { title: 'Which request?' } });
    const [row] = await sql<{ request_id: string }>(app, 'select request_id from activity where entity_id = ?', [response.json().id]);
    expect(row.request_id).toBe(response.headers['x-request-id']);
  });

  it("keeps a client's X-Request-Id of the longest accepted length", async () => {
    const requestId = `client-${'r'.repeat(121)}`;
    const response = await call(owner, 'POST', '/tasks', { payload: { title: 'Traced' }, headers: { 'x-request-id': requestId } });
    expect(response.statusCode).toBe(201);
    const [row] = await sql<{ request_id: string }>(app, 'select request_id from activity where entity_id = ?', [response.json().id]);
    expect(row.request_id).toBe(requestId);
  });

  it('records values with placeholders, quotes and JSON syntax in them exactly', async () => {
    const title = `What? $1 '; drop table activity; -- "q" \\ {"a":1} ?::jsonb`;
    const task = await createTask(call, owner, { title });
    const [entry] = await entriesOf(`/tasks/${task.id}/activity`);
    expect(entry.changes.title).toEqual({ from: null, to: title });
  });

  it('writes nothing for a PATCH that changes nothing', async () => {
    const task = await createTask(call, owner, { title: 'Same', priority: 'high' });
    const response = await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { title: 'Same', priority: 'high' } });
    expect(response.json().version).toBe(task.version);
    expect((await entriesOf(`/tasks/${task.id}/activity`)).map((entry) => entry.action)).toEqual(['create']);
  });

  it("answers 404 for another user's task, an unknown one, and 400 for bad input", async () => {
    const foreign = await createTask(call, stranger, { title: 'Private history' });
    expectProblem(await call(owner, 'GET', `/tasks/${foreign.id}/activity`), 404);
    expectProblem(await call(owner, 'GET', '/tasks/0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11/activity'), 404);
    expectProblem(await call(owner, 'GET', '/tasks/abc/activity'), 400, ['id']);
    expectProblem(await call(stranger, 'GET', `/tasks/${foreign.id}/activity?cursor=garbage`), 400, ['cursor']);
    expectProblem(await call(stranger, 'GET', `/tasks/${foreign.id}/activity?action=explode`), 400, ['action']);
  });

  it('keeps the history of a task deleted for good', async () => {
    const task = await createTask(call, owner, { title: 'Short life' });
    await call(owner, 'DELETE', `/tasks/${task.id}`);
    await call(owner, 'DELETE', `/trash/${task.id}`);
    expect((await entriesOf(`/tasks/${task.id}/activity`)).map((entry) => entry.action)).toEqual(['purge', 'delete', 'create']);
  });
});

describe('GET /activity', () => {
  it("lists the caller's stream, filtered by entity type and action, keyset-paged", async () => {
    const account = await registerAndLogin(app);
    const category = await createCategory(call, account, { name: 'Stream', color: '#112233' });
    const task = await createTask(call, account, { title: 'One', categoryId: category.id });
    await call(account, 'PATCH', `/categories/${category.id}`, { payload: { color: '#445566' } });
    await call(account, 'DELETE', `/categories/${category.id}`);

    const all = await entriesOf('/activity?limit=100', account);
    expect(all.map((entry) => `${entry.entityType}:${entry.action}`)).toEqual([
      'category:delete',
      'task:detach',
      'category:update',
      'task:create',
      'category:create',
    ]);
    expect(all[1]).toMatchObject({ entityId: task.id, changes: { categoryId: { from: category.id, to: null } } });
    expect(all[2].changes).toEqual({ color: { from: '#112233', to: '#445566' } });
    expect((await taskRow(app, task.id))?.version).toBe(task.version + 1);

    expect((await entriesOf('/activity?entityType=category', account)).map((entry) => entry.action)).toEqual(['delete', 'update', 'create']);
    expect((await entriesOf('/activity?action=create', account)).map((entry) => entry.entityType)).toEqual(['task', 'category']);
    expect(await entriesOf(`/categories/${category.id}/activity`, account)).toHaveLength(3);

    const pages: Entry[][] = [];
    let cursor: string | null = null;
    do {
      const response = await call(account, 'GET', `/activity?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(response.json().items);
      cursor = response.json().nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(all);
    expect(await entriesOf('/activity', owner)).not.toEqual(expect.arrayContaining([expect.objectContaining({ entityId: task.id })]));

    expectProblem(await call(account, 'GET', '/activity?entityType=user'), 400, ['entityType']);
    expectProblem(await call(account, 'GET', '/activity?limit=1000'), 400, ['limit']);
    const otherFilters = (await call(account, 'GET', '/activity?limit=1')).json().nextCursor;
    expectProblem(await call(account, 'GET', `/activity?action=create&cursor=${otherFilters}`), 400, ['cursor']);
  });

  it('numbers one owner\'s entries without gaps or repeats under concurrent writes', async () => {
    const account = await registerAndLogin(app);
    const tasks = await Promise.all(Array.from({ length: 6 }, (_, i) => createTask(call, account, { title: `c${i}` })));
    const answers = await Promise.all(
      tasks.flatMap((task) => [
        call(account, 'PATCH', `/tasks/${task.id}`, { payload: { priority: 'high' } }),
        call(account, 'POST', `/tasks/${task.id}/toggle`),
      ]),
    );
    expect(answers.every((answer) => answer.statusCode === 200)).toBe(true);
    const rows = await sql<{ seq: string }>(app, 'select seq from activity where user_id = ? order by seq', [account.id]);
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
  });
});

describe('one unit of work: a change and its activity commit together or not at all', () => {
  const breakActivity = (pattern: string) =>
    sql(
      app,
      `create or replace function break_activity() returns trigger as $$ begin
         if new.changes::text like '%${pattern}%' or new.action = 'detach' and '${pattern}' = 'DETACH' then
           raise exception 'activity broken on purpose';
         end if;
         return new;
       end; $$ language plpgsql;
       create trigger break_activity before insert on activity for each row execute function break_activity();`,
    );
  const repair = () => sql(app, 'drop trigger if exists break_activity on activity; drop function if exists break_activity();');

  afterEach(async () => {
    await repair();
    // The broken writes answered 500 on purpose; anything else would still be reported above.
    serverErrors.splice(0, serverErrors.length, ...serverErrors.filter((error) => !error.includes('-> 500')));
  });

  it('a create whose activity insert fails leaves no task', async () => {
    await breakActivity('BREAK-ME');
    const response = await call(owner, 'POST', '/tasks', { payload: { title: 'BREAK-ME' } });
    expect(response.statusCode).toBe(500);
    expect(await sql(app, `select id from tasks where title = 'BREAK-ME'`)).toEqual([]);
  });

  it('an update or trash whose activity insert fails leaves the task as it was', async () => {
    const task = await createTask(call, owner, { title: 'Stable' });
    const before = await taskRow(app, task.id);
    await breakActivity('BREAK-ME');
    expect((await call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { description: 'BREAK-ME' } })).statusCode).toBe(500);
    await repair();
    await breakActivity('deletedAt');
    expect((await call(owner, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(500);
    expect(await taskRow(app, task.id)).toEqual(before);
    expect((await entriesOf(`/tasks/${task.id}/activity`)).map((entry) => entry.action)).toEqual(['create']);
  });

  it('a category deletion whose detach entries fail keeps the category and its tasks', async () => {
    const category = await createCategory(call, owner, { name: 'Unbreakable' });
    const task = await createTask(call, owner, { title: 'Filed', categoryId: category.id });
    await breakActivity('DETACH');
    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(500);
    expect((await call(owner, 'GET', `/categories/${category.id}`)).statusCode).toBe(200);
    expect((await taskRow(app, task.id))?.category_id).toBe(category.id);
  });

  it('activity is refused outside a unit of work, and events cannot be published outside one', async () => {
    await expect(app.get(ActivityService).record(owner.id, { userId: owner.id, requestId: null }, [])).rejects.toThrow(/unit of work/);
    await expect(app.get(UnitOfWork).publish(new (class Probe { static eventName = 'probe'; })())).rejects.toThrow(/outside a unit of work/);
  });
});

describe('activity retention', () => {
  it('prunes entries older than ACTIVITY_RETENTION and keeps the rest', async () => {
    const account = await registerAndLogin(app);
    const kept = await createTask(call, account, { title: 'Recent' });
    const aged = await createTask(call, account, { title: 'Ancient' });
    await sql(app, `update activity set at = now() - interval '91 days' where entity_id = ?`, [aged.id]);
    const service = app.get(ActivityService);
    const pruned = await Promise.all([service.pruneExpired(), service.pruneExpired()]);
    expect(pruned.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(1);
    expect(await sql(app, 'select id from activity where entity_id = ?', [aged.id])).toEqual([]);
    expect(await entriesOf(`/tasks/${kept.id}/activity`, account)).toHaveLength(1);
  });
});
