import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import pg from 'pg';
import { IdempotencyService } from '../src/idempotency/idempotency.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { createTask, expectProblem, sql } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;
let account: TestAccount;

beforeEach(async () => {
  account = await registerAndLogin(api.app);
});

const withKey = (key: string, payload?: object, headers: Record<string, string> = {}) => ({
  headers: { 'idempotency-key': key, ...headers },
  ...(payload !== undefined && { payload }),
});

const countTasks = async (owner: TestAccount) => Number((await sql<{ n: string }>(api.app, 'select count(*) as n from tasks where user_id = ?', [owner.id]))[0].n);
const countActivity = async (owner: TestAccount) => Number((await sql<{ n: string }>(api.app, 'select count(*) as n from activity where user_id = ?', [owner.id]))[0].n);

describe('Idempotency-Key', () => {
  it('answers a repeated create with the stored answer, byte for byte, and creates one task', async () => {
    const first = await call(account, 'POST', '/tasks', withKey('create-1', { title: 'once' }));
    const again = await call(account, 'POST', '/tasks', withKey('create-1', { title: 'once' }));
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect({ status: again.statusCode, body: again.body, etag: again.headers.etag, location: again.headers.location }).toEqual({
      status: 201,
      body: first.body,
      etag: first.headers.etag,
      location: first.headers.location,
    });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await countTasks(account)).toBe(1);
    expect(await countActivity(account)).toBe(1);
  });

  it('replays PATCH and DELETE too: a repeated DELETE answers 204 again, not 404', async () => {
    const task = await createTask(call, account, { title: 'before' });
    const patched = await call(account, 'PATCH', `/tasks/${task.id}`, withKey('patch-1', { title: 'after' }));
    const repatched = await call(account, 'PATCH', `/tasks/${task.id}`, withKey('patch-1', { title: 'after' }));
    expect(repatched.body).toBe(patched.body);
    expect(repatched.json().version).toBe(2);
    const deleted = await call(account, 'DELETE', `/tasks/${task.id}`, withKey('delete-1'));
    const redeleted = await call(account, 'DELETE', `/tasks/${task.id}`, withKey('delete-1'));
    expect([deleted.statusCode, redeleted.statusCode, redeleted.body, redeleted.headers['idempotent-replayed']]).toEqual([204, 204, '', 'true']);
    expect(await countActivity(account)).toBe(3);
  });

  it('refuses the same key for a different request with 422 idempotency-key-mismatch, writing nothing', async () => {
    const task = await createTask(call, account, { title: 'target' });
    await call(account, 'POST', '/tasks', withKey('reused', { title: 'first' }));
    for (const [method, path, payload] of [
      ['POST', '/tasks', { title: 'second' }],
      ['PATCH', `/tasks/${task.id}`, { title: 'first' }],
    ] as const) {
      const response = await call(account, method, path, withKey('reused', payload));
      expectProblem(response, 422);
      expect(response.json().type).toMatch(/idempotency-key-mismatch$/);
    }
    expect(await countTasks(account)).toBe(2);
  });

  it('answers 409 idempotency-key-in-flight with Retry-After while the first request holds the key', async () => {
    // The lock the first request's transaction holds, taken on a connection of its own as if that request were running.
    const holder = new pg.Client({ connectionString: api.app.get(MikroORM).config.get('clientUrl') });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`idempotency:${account.id}:busy`]);
      const response = await call(account, 'POST', '/tasks', withKey('busy', { title: 'waits' }));
      expectProblem(response, 409);
      expect(response.json().type).toMatch(/idempotency-key-in-flight$/);
      expect(response.headers['retry-after']).toBe('1');
    } finally {
      await holder.end();
    }
    expect((await call(account, 'POST', '/tasks', withKey('busy', { title: 'waits' }))).statusCode).toBe(201);
  });

  it('20 concurrent identical requests with one key create exactly one task', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => call(account, 'POST', '/tasks', withKey('burst', { title: 'one of twenty' }))));
    const firsts = answers.filter((answer) => answer.statusCode === 201 && answer.headers['idempotent-replayed'] === undefined);
    expect(firsts).toHaveLength(1);
    for (const answer of answers) {
      if (answer.statusCode === 201) {
        expect(answer.body).toBe(firsts[0].body);
      } else {
        expect([answer.statusCode, answer.json().type]).toEqual([409, expect.stringMatching(/idempotency-key-in-flight$/)]);
      }
    }
    expect(await countTasks(account)).toBe(1);
    expect(await countActivity(account)).toBe(1);
  });

  it('stores nothing for a failed request: the key can be used again once the request is fixed', async () => {
    expectProblem(await call(account, 'POST', '/tasks', withKey('fix-me', { title: '' })), 400, ['title']);
    expect((await call(account, 'POST', '/tasks', withKey('fix-me', { title: 'fixed' }))).statusCode).toBe(201);
  });

  it('deletes an account under a key without storing an answer for the user it removed', async () => {
    const response = await call(account, 'DELETE', '/users/me', withKey('goodbye', { password: account.password }));
    expect(response.statusCode).toBe(204);
    expect(await sql(api.app, 'select 1 from idempotency_records where user_id = ?', [account.id])).toEqual([]);
  });

  it('scopes keys to the user', async () => {
    const other = await registerAndLogin(api.app);
    await call(account, 'POST', '/tasks', withKey('shared-name', { title: 'mine' }));
    const theirs = await call(other, 'POST', '/tasks', withKey('shared-name', { title: 'theirs' }));
    expect([theirs.statusCode, theirs.json().title, theirs.headers['idempotent-replayed']]).toEqual([201, 'theirs', undefined]);
  });

  it('refuses a malformed key with 400 naming the header, writing nothing', async () => {
    for (const key of ['', 'k'.repeat(256), 'tab\there', 'clé']) {
      expectProblem(await call(account, 'POST', '/tasks', withKey(key, { title: 'never' })), 400, ['Idempotency-Key']);
    }
    expect(await countTasks(account)).toBe(0);
  });

  it('forgets a key after IDEMPOTENCY_TTL, and the hourly job deletes expired records', async () => {
    await call(account, 'POST', '/tasks', withKey('old', { title: 'long ago' }));
    await sql(api.app, "update idempotency_records set expires_at = now() - interval '1 second' where user_id = ?", [account.id]);
    const again = await call(account, 'POST', '/tasks', withKey('old', { title: 'long ago' }));
    expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([201, undefined]);
    expect(await countTasks(account)).toBe(2);
    await sql(api.app, "update idempotency_records set expires_at = now() - interval '1 second' where user_id = ?", [account.id]);
    expect(await api.app.get(IdempotencyService).pruneExpired()).toBeGreaterThanOrEqual(1);
    expect(await sql(api.app, 'select 1 from idempotency_records where user_id = ?', [account.id])).toEqual([]);
  });
});

describe('client-chosen ids on create', () => {
  it('creates a task and a category under the id the client chose', async () => {
    const taskId = randomUUID();
    const categoryId = randomUUID();
    const task = await call(account, 'POST', '/tasks', { payload: { id: taskId.toUpperCase(), title: 'mine' } });
    const category = await call(account, 'POST', '/categories', { payload: { id: categoryId, name: 'Chosen' } });
    expect([task.statusCode, task.json().id, task.headers.location]).toEqual([201, taskId, `/api/v1/tasks/${taskId}`]);
    expect([category.statusCode, category.json().id]).toEqual([201, categoryId]);
  });

  it('answers a second create with the same id 409 naming the caller\'s own task, writing nothing', async () => {
    const id = randomUUID();
    await call(account, 'POST', '/tasks', { payload: { id, title: 'first' } });
    const again = await call(account, 'POST', '/tasks', { payload: { id, title: 'second' } });
    expectProblem(again, 409, ['id']);
    expect(again.json().detail).toContain(`/api/v1/tasks/${id}`);
    expect(again.headers.location).toBe(`/api/v1/tasks/${id}`);
    expect((await call(account, 'GET', `/tasks/${id}`)).json().title).toBe('first');
    expect(await countTasks(account)).toBe(1);
    expect(await countActivity(account)).toBe(1);
  });

  it("answers another user's id with a 409 that says nothing of their task or category", async () => {
    const other = await registerAndLogin(api.app);
    const [taskId, categoryId] = [randomUUID(), randomUUID()];
    await call(other, 'POST', '/tasks', { payload: { id: taskId, title: 'secret title' } });
    await call(other, 'POST', '/categories', { payload: { id: categoryId, name: 'Secret name' } });
    for (const [path, payload] of [['/tasks', { id: taskId, title: 'mine' }], ['/categories', { id: categoryId, name: 'Mine' }]] as const) {
      const response = await call(account, 'POST', path, { payload });
      expectProblem(response, 409, ['id']);
      expect(response.json().detail).toBe('This id cannot be used: choose another.');
      expect(response.headers.location).toBeUndefined();
      expect(response.body).not.toMatch(/secret/i);
    }
    expect(await countTasks(account)).toBe(0);
  });

  it('refuses an id that is not a UUID with 400 naming it', async () => {
    expectProblem(await call(account, 'POST', '/tasks', { payload: { id: 'not-a-uuid', title: 'x' } }), 400, ['id']);
    expectProblem(await call(account, 'POST', '/categories', { payload: { id: 42, name: 'x' } }), 400, ['id']);
  });
});
