import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import {
  apiClient,
  createCategory,
  createTask,
  expectProblem,
  MISSING_ID,
  sql,
  taskRow,
  type Call,
  type CategoryBody,
  type Method,
  type TaskBody,
} from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let alice: TestAccount;
let bob: TestAccount;
let aliceCategory: CategoryBody;
let aliceTask: TaskBody;
let aliceEtag: string;
let bobCategory: CategoryBody;
let bobTask: TaskBody;

const categoryRow = async (id: string) =>
  (await sql(app, 'select name, color, updated_at::text, user_id::text from categories where id = ?', [id]))[0];

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  alice = await registerAndLogin(app);
  bob = await registerAndLogin(app);
  aliceCategory = await createCategory(call, alice, { name: 'Secret', color: '#123456' });
  const created = await call(alice, 'POST', '/tasks', {
    payload: { title: 'Alice secret plan', description: 'hidden', priority: 'high', dueDate: '2020-01-01T00:00:00Z', categoryId: aliceCategory.id },
  });
  aliceTask = created.json();
  aliceEtag = created.headers.etag as string;
  bobCategory = await createCategory(call, bob, { name: 'Secret' });
  bobTask = await createTask(call, bob, { title: 'Bob plan', categoryId: bobCategory.id });
});

afterAll(async () => {
  await app.close();
});

// Every case checks its own requests (emptied each time, so a 5xx is blamed on the case that saw
// it), and a case run alone with -t is still checked.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

type Route = [string, Method, (id: string) => string, object | undefined];
const taskRoutes: Route[] = [
  ['GET task', 'GET', (id) => `/tasks/${id}`, undefined],
  ['PATCH task', 'PATCH', (id) => `/tasks/${id}`, { title: 'Hijacked', categoryId: null }],
  ['DELETE task', 'DELETE', (id) => `/tasks/${id}`, undefined],
  ['toggle task', 'POST', (id) => `/tasks/${id}/toggle`, undefined],
];
const categoryRoutes: Route[] = [
  ['GET category', 'GET', (id) => `/categories/${id}`, undefined],
  ['PATCH category', 'PATCH', (id) => `/categories/${id}`, { name: 'Hijacked' }],
  ['DELETE category', 'DELETE', (id) => `/categories/${id}`, undefined],
];

const answer = (response: LightMyRequestResponse) => ({
  status: response.statusCode,
  contentType: response.headers['content-type'],
  body: response.body,
});

describe("another user's ids answer exactly like missing ones", () => {
  it.each([...taskRoutes, ...categoryRoutes])('%s: 404, same answer as a random uuid, and nothing changes', async (_name, method, path, payload) => {
    const ownId = path(MISSING_ID).startsWith('/tasks') ? aliceTask.id : aliceCategory.id;
    const taskBefore = await taskRow(app, aliceTask.id);
    const categoryBefore = await categoryRow(aliceCategory.id);
    const foreign = await call(bob, method, path(ownId), { payload });
    const missing = await call(bob, method, path(MISSING_ID), { payload });
    expectProblem(foreign, 404);
    expect(answer(foreign)).toEqual(answer(missing));
    // Conditional headers carrying Alice's real ETag reveal nothing either.
    const conditional = await call(bob, method, path(ownId), { payload, headers: { 'if-match': aliceEtag, 'if-none-match': aliceEtag } });
    expect(answer(conditional)).toEqual(answer(missing));
    expect(await taskRow(app, aliceTask.id)).toEqual(taskBefore);
    expect(await categoryRow(aliceCategory.id)).toEqual(categoryBefore);
  });

  it('Alice still sees her task and category unchanged afterwards', async () => {
    const task = await call(alice, 'GET', `/tasks/${aliceTask.id}`);
    expect(task.json()).toEqual(aliceTask);
    expect(task.headers.etag).toBe(aliceEtag);
    expect(await categoryRow(aliceCategory.id)).toMatchObject({ name: 'Secret', color: '#123456', user_id: alice.id });
  });
});

describe('malformed ids', () => {
  it.each([...taskRoutes, ...categoryRoutes])("%s with id 'abc': 400 naming id", async (_name, method, path, payload) => {
    expectProblem(await call(bob, method, path('abc'), { payload }), 400, ['id']);
  });
});

describe("references to another user's category", () => {
  it('creating or moving a task into it answers the same 400 as a nonexistent category', async () => {
    for (const [method, path] of [['POST', '/tasks'], ['PATCH', `/tasks/${bobTask.id}`]] as const) {
      const foreign = await call(bob, method, path, { payload: { title: 'x', categoryId: aliceCategory.id } });
      const missing = await call(bob, method, path, { payload: { title: 'x', categoryId: MISSING_ID } });
      expectProblem(foreign, 400, ['categoryId']);
      expect(answer(foreign)).toEqual(answer(missing));
    }
    expect((await taskRow(app, bobTask.id))!.category_id).toBe(bobCategory.id);
  });

  it('filtering by it lists nothing', async () => {
    const response = await call(bob, 'GET', `/tasks?categoryId=${aliceCategory.id}&includeTotal=true`);
    expect(response.json()).toEqual({ items: [], nextCursor: null, total: 0 });
  });
});

describe("lists and stats never include another user's rows", () => {
  it.each(['-createdAt', 'createdAt', 'dueDate', '-dueDate', 'priority', '-priority', 'title', '-title', 'updatedAt', '-updatedAt'])(
    'GET /tasks?sort=%s lists only Bob’s tasks',
    async (sort) => {
      const response = await call(bob, 'GET', `/tasks?sort=${encodeURIComponent(sort)}&limit=100&includeTotal=true`);
      expect(response.statusCode).toBe(200);
      expect(response.json().items.map((item: TaskBody) => item.id)).toEqual([bobTask.id]);
      expect(response.json().total).toBe(1);
    },
  );

  it('filters that match Alice’s task find nothing for Bob', async () => {
    for (const query of ['q=secret', 'q=hidden', 'overdue=true', 'priority=high', 'dueBefore=2021-01-01T00:00:00Z']) {
      expect((await call(bob, 'GET', `/tasks?${query}`)).json().items).toEqual([]);
    }
  });

  it('GET /categories lists only Bob’s category, with only his tasks counted', async () => {
    const response = await call(bob, 'GET', '/categories');
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual([expect.objectContaining({ id: bobCategory.id, name: 'Secret', taskCount: 1 })]);
  });

  it('GET /tasks/stats counts only Bob’s tasks', async () => {
    const response = await call(bob, 'GET', '/tasks/stats?tz=Europe/Paris');
    expect(response.json()).toEqual({
      total: 1, byStatus: { pending: 1, in_progress: 0, completed: 0 }, byPriority: { low: 0, medium: 1, high: 0 }, overdue: 0, dueToday: 0, completedLast7Days: 0,
    });
  });
});
