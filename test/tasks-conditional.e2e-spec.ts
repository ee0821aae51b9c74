import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, expectProblem, taskRow, type Call, type TaskBody } from './support/tasks-fixtures.js';

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

/** A strong entity tag: a quoted string, not W/-prefixed. */
function etagOf(response: LightMyRequestResponse): string {
  const etag = response.headers.etag;
  expect(etag).toMatch(/^"[^"]+"$/);
  return etag as string;
}

async function freshTask(title = 'Conditional'): Promise<{ task: TaskBody; etag: string }> {
  const response = await call(owner, 'POST', '/tasks', { payload: { title } });
  expect(response.statusCode).toBe(201);
  return { task: response.json(), etag: etagOf(response) };
}

const get = (id: string, headers: Record<string, string> = {}) => call(owner, 'GET', `/tasks/${id}`, { headers });
const patch = (id: string, payload: object, headers: Record<string, string> = {}) => call(owner, 'PATCH', `/tasks/${id}`, { payload, headers });
const toggle = (id: string, headers: Record<string, string> = {}) => call(owner, 'POST', `/tasks/${id}/toggle`, { headers });
const remove = (id: string, headers: Record<string, string> = {}) => call(owner, 'DELETE', `/tasks/${id}`, { headers });

describe('ETags', () => {
  it('come with every single-task answer, match GET, and change after each write', async () => {
    const { task, etag: created } = await freshTask();
    const seen = [created];
    expect(etagOf(await get(task.id))).toBe(created);
    const writes = [
      () => patch(task.id, { title: 'Renamed' }),
      () => toggle(task.id),
      () => patch(task.id, { priority: 'high' }),
      () => toggle(task.id),
      () => patch(task.id, { dueDate: '2027-01-01T00:00:00Z' }),
    ];
    for (const write of writes) {
      const response = await write();
      expect(response.statusCode).toBe(200);
      const etag = etagOf(response);
      expect(seen).not.toContain(etag);
      expect(etagOf(await get(task.id))).toBe(etag);
      seen.push(etag);
    }
  });
});

describe('GET with If-None-Match', () => {
  it('answers 304 with no body for the current ETag, * or a list containing it, and 200 for a stale one', async () => {
    const { task, etag: stale } = await freshTask();
    const current = etagOf(await patch(task.id, { title: 'Changed' }));
    for (const header of [current, '*', `"nope", ${current}`, `W/${current}`]) {
      const response = await get(task.id, { 'if-none-match': header });
      expect(response.statusCode).toBe(304);
      expect(response.body).toBe('');
      expect(response.headers.etag).toBe(current);
    }
    const response = await get(task.id, { 'if-none-match': stale });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: task.id, title: 'Changed' });
    expect(etagOf(response)).toBe(current);
  });
});

describe('writes with If-Match', () => {
  it('refuse a stale ETag with 412 and leave the row unchanged (PATCH, toggle, DELETE)', async () => {
    const { task, etag: stale } = await freshTask();
    etagOf(await patch(task.id, { description: 'moved on' }));
    const before = await taskRow(app, task.id);
    for (const attempt of [
      () => patch(task.id, { title: 'Lost update' }, { 'if-match': stale }),
      () => toggle(task.id, { 'if-match': stale }),
      () => remove(task.id, { 'if-match': stale }),
    ]) {
      const response = await attempt();
      expectProblem(response, 412);
      expect(await taskRow(app, task.id)).toEqual(before);
    }
  });

  it('compare strongly: a weak form of the current ETag is refused with 412', async () => {
    const { task, etag } = await freshTask();
    const before = await taskRow(app, task.id);
    expectProblem(await patch(task.id, { title: 'Weak' }, { 'if-match': `W/${etag}` }), 412);
    expect(await taskRow(app, task.id)).toEqual(before);
  });

  it('go through with the current ETag (alone, in a list, or *)', async () => {
    const { task, etag } = await freshTask();
    const patched = await patch(task.id, { title: 'Matched' }, { 'if-match': etag });
    expect(patched.statusCode).toBe(200);
    expect((await taskRow(app, task.id))!.title).toBe('Matched');

    const toggled = await toggle(task.id, { 'if-match': `"other", ${etagOf(patched)}` });
    expect(toggled.statusCode).toBe(200);
    expect((await taskRow(app, task.id))!.status).toBe('completed');

    const starred = await patch(task.id, { priority: 'low' }, { 'if-match': '*' });
    expect(starred.statusCode).toBe(200);

    const deleted = await remove(task.id, { 'if-match': etagOf(starred) });
    expect(deleted.statusCode).toBe(204);
    expect(await taskRow(app, task.id)).toMatchObject({ deleted_at: expect.any(String) });
  });

  it('are unconditional without If-Match, even after other changes', async () => {
    const { task } = await freshTask();
    await patch(task.id, { title: 'Someone else' });
    expect((await patch(task.id, { title: 'Mine' })).statusCode).toBe(200);
    expect((await toggle(task.id)).statusCode).toBe(200);
    expect((await taskRow(app, task.id))!.title).toBe('Mine');
    expect((await remove(task.id)).statusCode).toBe(204);
  });

  it('let exactly one of two concurrent PATCHes with the same If-Match win; the other gets 412', async () => {
    const { task } = await freshTask();
    for (let round = 0; round < 8; round++) {
      const current = await get(task.id);
      const etag = etagOf(current);
      const version = current.json().version;
      const [first, second] = await Promise.all([
        patch(task.id, { title: `first ${round}` }, { 'if-match': etag }),
        patch(task.id, { title: `second ${round}` }, { 'if-match': etag }),
      ]);
      expect([first.statusCode, second.statusCode].sort()).toEqual([200, 412]);
      const winner = first.statusCode === 200 ? first : second;
      expectProblem(first.statusCode === 412 ? first : second, 412);
      const row = await taskRow(app, task.id);
      expect(row).toMatchObject({ title: winner.json().title, version: version + 1 });
    }
  });

  it('let exactly one of two concurrent toggles with the same If-Match win', async () => {
    const { task } = await freshTask();
    for (let round = 0; round < 4; round++) {
      const current = await get(task.id);
      const [first, second] = await Promise.all([
        toggle(task.id, { 'if-match': etagOf(current) }),
        toggle(task.id, { 'if-match': etagOf(current) }),
      ]);
      expect([first.statusCode, second.statusCode].sort()).toEqual([200, 412]);
      expect((await taskRow(app, task.id))!.version).toBe(current.json().version + 1);
    }
  });

  it('apply both of two concurrent PATCHes without If-Match', async () => {
    const { task } = await freshTask();
    const [first, second] = await Promise.all([patch(task.id, { title: 'one' }), patch(task.id, { priority: 'high' })]);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(await taskRow(app, task.id)).toMatchObject({ title: 'one', priority: 'high', version: task.version + 2 });
  });
});
