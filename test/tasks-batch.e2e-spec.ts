import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { createTask, expectProblem, MISSING_ID, sql } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;
let account: TestAccount;

beforeEach(async () => {
  account = await registerAndLogin(api.app);
});

const batch = (operations: unknown[], atomic?: boolean, headers: Record<string, string> = {}) =>
  call(account, 'POST', `/tasks/batch${atomic === undefined ? '' : `?atomic=${atomic}`}`, { payload: { operations }, headers });

const taskCount = async () => Number((await sql<{ n: string }>(api.app, 'select count(*) as n from tasks where user_id = ?', [account.id]))[0].n);
const activityCount = async () => Number((await sql<{ n: string }>(api.app, 'select count(*) as n from activity where user_id = ?', [account.id]))[0].n);

describe('POST /tasks/batch, one by one (default)', () => {
  it('runs each operation as its route would, in order, referring to earlier creates by ref', async () => {
    const existing = await createTask(call, account, { title: 'existing' });
    const response = await batch([
      { op: 'create', ref: 'new', body: { title: 'made in a batch', priority: 'high' } },
      { op: 'update', ref: 'new', body: { status: 'in_progress' } },
      { op: 'toggle', id: existing.id },
      { op: 'delete', id: existing.id },
      { op: 'restore', id: existing.id },
    ]);
    expect(response.statusCode).toBe(200);
    const { results } = response.json();
    expect(results.map((result: { status: number }) => result.status)).toEqual([201, 200, 200, 204, 200]);
    const created = results[1].body;
    expect(created).toMatchObject({ title: 'made in a batch', priority: 'high', status: 'in_progress', version: 2 });
    expect(results[1].etag).toBe((await call(account, 'GET', `/tasks/${created.id}`)).headers.etag);
    expect(results[4].body).toEqual((await call(account, 'GET', `/tasks/${existing.id}`)).json());
    expect(results[3]).toEqual({ status: 204 });
    expect(await activityCount()).toBe(1 + 5);
  });

  it('answers a failing operation with its problem and still runs the others', async () => {
    const task = await createTask(call, account, { title: 'stale' });
    const response = await batch([
      { op: 'create', body: { title: '' } },
      { op: 'update', id: task.id, ifMatch: '"stale"', body: { title: 'never' } },
      { op: 'toggle', id: MISSING_ID },
      { op: 'update', ref: 'nobody', body: { title: 'x' } },
      { op: 'create', body: { title: 'fine' } },
    ]);
    const { results } = response.json();
    expect(results.map((result: { status: number }) => result.status)).toEqual([400, 412, 404, 400, 201]);
    expect(results[0].problem.errors).toEqual([{ field: 'body.title', message: expect.any(String) }]);
    expect(results[3].problem.errors).toEqual([{ field: 'ref', message: 'ref names no task created earlier in this batch' }]);
    expect(await taskCount()).toBe(2);
  });

  it("treats another user's task like a missing one", async () => {
    const other = await registerAndLogin(api.app);
    const theirs = await createTask(call, other, { title: 'theirs' });
    const { results } = (await batch([{ op: 'update', id: theirs.id, body: { title: 'hijacked' } }, { op: 'delete', id: theirs.id }])).json();
    expect(results.map((result: { status: number }) => result.status)).toEqual([404, 404]);
    expect((await call(other, 'GET', `/tasks/${theirs.id}`)).json().title).toBe('theirs');
  });
});

describe('POST /tasks/batch?atomic=true', () => {
  it('applies everything in one unit of work when every operation succeeds', async () => {
    const response = await batch([{ op: 'create', ref: 'a', body: { title: 'a' } }, { op: 'toggle', ref: 'a' }], true);
    expect(response.statusCode).toBe(200);
    expect(response.json().results.map((result: { status: number }) => result.status)).toEqual([201, 200]);
  });

  it('rolls every operation back on the first failure and names it', async () => {
    const task = await createTask(call, account, { title: 'untouched' });
    const activityBefore = await activityCount();
    const response = await batch(
      [
        { op: 'create', body: { title: 'rolled back' } },
        { op: 'update', id: task.id, body: { title: 'rolled back too' } },
        { op: 'toggle', id: MISSING_ID },
        { op: 'create', body: { title: 'never reached' } },
      ],
      true,
    );
    expectProblem(response, 404, ['operations[2]']);
    expect(response.json().detail).toMatch(/^Operation 2 \(toggle\) failed, so none was applied/);
    expect(await taskCount()).toBe(1);
    expect((await call(account, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ title: 'untouched', version: 1 });
    expect(await activityCount()).toBe(activityBefore);
  });

  it('names the failing field inside the operation', async () => {
    expectProblem(await batch([{ op: 'create', body: { title: 'ok' } }, { op: 'create', body: { priority: 'urgent', title: 'x' } }], true), 400, [
      'operations[1].body.priority',
    ]);
    expect(await taskCount()).toBe(0);
  });
});

describe('POST /tasks/batch input', () => {
  it.each([
    ['no operations', { operations: [] }, ['operations']],
    ['more than 100', { operations: Array.from({ length: 101 }, () => ({ op: 'create', body: { title: 'x' } })) }, ['operations']],
    ['an unknown op', { operations: [{ op: 'rename', id: MISSING_ID }] }, ['operations.0.op']],
    ['a malformed id', { operations: [{ op: 'toggle', id: 'nope' }] }, ['operations.0.id']],
    ['a malformed ref', { operations: [{ op: 'create', ref: 'has space', body: { title: 'x' } }] }, ['operations.0.ref']],
    ['an unknown field', { operations: [{ op: 'toggle', id: MISSING_ID, extra: 1 }] }, ['operations.0.extra']],
  ])('refuses %s with 400 naming the field, writing nothing', async (_label, payload, fields) => {
    expectProblem(await call(account, 'POST', '/tasks/batch', { payload }), 400, fields);
    expect(await taskCount()).toBe(0);
  });

  it('refuses an operation that is not well formed, as its own result', async () => {
    const { results } = (await batch([
      { op: 'toggle', id: MISSING_ID, ref: 'both' },
      { op: 'delete', id: MISSING_ID, body: { title: 'x' } },
      { op: 'create', id: MISSING_ID, body: { title: 'x' } },
      { op: 'create', ref: 'twice', body: { title: 'x' } },
      { op: 'create', ref: 'twice', body: { title: 'y' } },
    ])).json();
    expect(results.map((result: { status: number; problem?: { errors: Array<{ field: string }> } }) => [result.status, result.problem?.errors[0].field])).toEqual([
      [400, 'ref'],
      [400, 'body'],
      [400, 'id'],
      [201, undefined],
      [400, 'ref'],
    ]);
  });

  it('is idempotent under an Idempotency-Key like any other write', async () => {
    const operations = [{ op: 'create', body: { title: 'once' } }];
    const first = await batch(operations, false, { 'idempotency-key': 'batch-1' });
    const again = await batch(operations, false, { 'idempotency-key': 'batch-1' });
    expect([again.body, again.headers['idempotent-replayed']]).toEqual([first.body, 'true']);
    expect(await taskCount()).toBe(1);
  });
});
