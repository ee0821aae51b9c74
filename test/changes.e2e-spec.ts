import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { changesPage, type ChangesPage } from './support/change-feed.js';
import { createCategory, createTask, expectProblem, sql } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;

const changes = (account: TestAccount, cursor?: string, limit?: number) => changesPage(call, account, cursor, limit);

const encodedCursor = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
const seqOf = (cursor: string): string => JSON.parse(Buffer.from(cursor, 'base64url').toString()).s;

describe('GET /changes', () => {
  let account: TestAccount;

  beforeEach(async () => {
    account = await registerAndLogin(api.app);
  });

  it('without a cursor answers an empty page positioned at now', async () => {
    await createTask(call, account, { title: 'before the cursor' });
    const start = await changes(account);
    expect(start).toEqual({ changes: [], cursor: expect.any(String), hasMore: false });
    expect(await changes(account, start.cursor)).toEqual({ changes: [], cursor: expect.any(String), hasMore: false });
  });

  it('gives each change in commit order with the object exactly as GET answers it', async () => {
    const start = await changes(account);
    const task = await createTask(call, account, { title: 'followed' });
    const category = await createCategory(call, account, { name: 'Home', color: '#00ff00' });
    const page = await changes(account, start.cursor);
    const [taskNow, categoryNow] = await Promise.all([call(account, 'GET', `/tasks/${task.id}`), call(account, 'GET', `/categories/${category.id}`)]);
    expect(page.changes).toEqual([
      { seq: expect.any(Number), at: expect.any(String), entityType: 'task', entityId: task.id, op: 'upsert', data: taskNow.json() },
      { seq: expect.any(Number), at: expect.any(String), entityType: 'category', entityId: category.id, op: 'upsert', data: categoryNow.json() },
    ]);
    expect(page.changes[1].seq).toBeGreaterThan(page.changes[0].seq);
    expect(page.hasMore).toBe(false);
  });

  it('tells trashed, purged and deleted apart, and a restore is an upsert', async () => {
    const [trashed, purged, restored] = await Promise.all(['trashed', 'purged', 'restored'].map((title) => createTask(call, account, { title })));
    const category = await createCategory(call, account, { name: 'Gone', color: '#123456' });
    const start = await changes(account);
    for (const task of [trashed, purged, restored]) {
      expect((await call(account, 'DELETE', `/tasks/${task.id}`)).statusCode).toBe(204);
    }
    expect((await call(account, 'DELETE', `/trash/${purged.id}`)).statusCode).toBe(204);
    expect((await call(account, 'POST', `/tasks/${restored.id}/restore`)).statusCode).toBe(200);
    expect((await call(account, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);

    const byId = new Map((await changes(account, start.cursor)).changes.map((change) => [change.entityId, change]));
    expect(byId.get(trashed.id)).toMatchObject({ op: 'delete', reason: 'trashed' });
    expect(byId.get(trashed.id)).not.toHaveProperty('data');
    expect(byId.get(purged.id)).toMatchObject({ op: 'delete', reason: 'purged' });
    expect(byId.get(restored.id)).toEqual(expect.objectContaining({ op: 'upsert', data: (await call(account, 'GET', `/tasks/${restored.id}`)).json() }));
    expect(byId.get(category.id)).toMatchObject({ entityType: 'category', op: 'delete', reason: 'deleted' });
  });

  it('shows an entity changed several times since the cursor once, with its latest seq and state', async () => {
    const task = await createTask(call, account, { title: 'v1' });
    const start = await changes(account);
    for (const title of ['v2', 'v3', 'v4']) {
      expect((await call(account, 'PATCH', `/tasks/${task.id}`, { payload: { title } })).statusCode).toBe(200);
    }
    const page = await changes(account, start.cursor);
    expect(page.changes).toHaveLength(1);
    expect(page.changes[0].data).toMatchObject({ title: 'v4', version: 4 });
    expect(String(page.changes[0].seq)).toBe(seqOf(page.cursor));
  });

  it('pages with limit and hasMore, oldest first, until nothing is left', async () => {
    const start = await changes(account);
    const created = [];
    for (let i = 0; i < 7; i++) {
      created.push((await createTask(call, account, { title: `task ${i}` })).id);
    }
    const seen: string[] = [];
    let cursor = start.cursor;
    let pages = 0;
    for (let hasMore = true; hasMore; pages++) {
      const page = await changes(account, cursor, 3);
      expect(page.changes.length).toBeLessThanOrEqual(3);
      seen.push(...page.changes.map((change) => change.entityId));
      ({ cursor, hasMore } = page);
    }
    expect(seen).toEqual(created);
    expect(pages).toBe(3);
    expect((await changes(account, cursor)).changes).toEqual([]);
  });

  it('shows nothing of another user, and refuses their cursor with 400', async () => {
    const other = await registerAndLogin(api.app);
    const start = await changes(account);
    await createTask(call, other, { title: 'not yours' });
    expect((await changes(account, start.cursor)).changes).toEqual([]);
    expectProblem(await call(account, 'GET', `/changes?cursor=${(await changes(other)).cursor}`), 400, ['cursor']);
  });

  it('refuses malformed and forged cursors and out-of-range limits with 400, naming the field', async () => {
    const { cursor } = await changes(account);
    const { u, t } = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    for (const forged of ['nonsense', encodedCursor({ u, s: 'x', t }), encodedCursor({ u, s: '1000', t })]) {
      expectProblem(await call(account, 'GET', `/changes?cursor=${forged}`), 400, ['cursor']);
    }
    for (const limit of ['0', '501', 'ten']) {
      expectProblem(await call(account, 'GET', `/changes?limit=${limit}`), 400, ['limit']);
    }
  });

  it('answers 410 cursor-expired past CHANGES_RETENTION, and when retention removed changes after the cursor', async () => {
    const { cursor } = await changes(account);
    const { u, s } = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const old = encodedCursor({ u, s, t: Date.now() - 31 * 24 * 3600_000 });
    const expired = await call(account, 'GET', `/changes?cursor=${old}`);
    expectProblem(expired, 410);
    expect(expired.json().type).toMatch(/cursor-expired$/);

    await createTask(call, account, { title: 'pruned' });
    await createTask(call, account, { title: 'kept' });
    // What the activity retention job does to old entries, done to the first of the two.
    await sql(api.app, 'delete from activity where user_id = ? and seq = (select min(seq) from activity where user_id = ? and seq > ?)', [account.id, account.id, s]);
    const gap = await call(account, 'GET', `/changes?cursor=${cursor}`);
    expectProblem(gap, 410);
  });
});

describe('the feed under concurrent writers', () => {
  it('never skips a change: a follower polling meanwhile mirrors a fresh full listing exactly', async () => {
    const account = await registerAndLogin(api.app);
    const seed = await Promise.all([0, 1].map((i) => createCategory(call, account, { name: `Category ${i}`, color: '#abcdef' })));
    const mirror = new Map<string, Record<string, unknown>>();
    let cursor = (await changes(account)).cursor;
    const [tasksAtStart, categoriesAtStart] = await Promise.all([call(account, 'GET', '/tasks?limit=100'), call(account, 'GET', '/categories')]);
    for (const task of tasksAtStart.json().items) mirror.set(`task:${task.id}`, task);
    for (const category of categoriesAtStart.json().items) mirror.set(`category:${category.id}`, category);

    const apply = (page: ChangesPage) => {
      for (const change of page.changes) {
        const key = `${change.entityType}:${change.entityId}`;
        if (change.op === 'upsert') mirror.set(key, change.data!);
        else mirror.delete(key);
      }
      cursor = page.cursor;
    };

    /** One writer: creates, changes, trashes and restores its own tasks, and renames a category. */
    const writer = async (index: number) => {
      const mine: string[] = [];
      for (let step = 0; step < 12; step++) {
        const kind = step % 4;
        if (kind === 0 || mine.length === 0) {
          const categoryId = step % 3 === 0 ? seed[index % 2].id : undefined;
          mine.push((await createTask(call, account, { title: `w${index} s${step}`, ...(categoryId && { categoryId }) })).id);
        } else if (kind === 1) {
          await call(account, 'PATCH', `/tasks/${mine.at(-1)}`, { payload: { title: `w${index} s${step} changed`, status: 'in_progress' } });
        } else if (kind === 2) {
          await call(account, 'DELETE', `/tasks/${mine[0]}`);
          if (step % 3 === 2) await call(account, 'POST', `/tasks/${mine[0]}/restore`);
          else mine.shift();
        } else {
          await call(account, 'PATCH', `/categories/${seed[index % 2].id}`, { payload: { name: `Category ${index % 2} by ${index} at ${step}` } });
        }
      }
    };

    let writing = true;
    const follower = (async () => {
      let polls = 0;
      while (writing) {
        apply(await changes(account, cursor, 5));
        polls++;
      }
      return polls;
    })();
    await Promise.all([0, 1, 2, 3].map(writer));
    writing = false;
    const polls = await follower;
    for (let page = await changes(account, cursor, 500); ; page = await changes(account, cursor, 500)) {
      apply(page);
      if (!page.hasMore) break;
    }

    const [tasksNow, categoriesNow] = await Promise.all([call(account, 'GET', '/tasks?limit=100'), call(account, 'GET', '/categories')]);
    const expected = new Map<string, Record<string, unknown>>();
    for (const task of tasksNow.json().items) expected.set(`task:${task.id}`, task);
    // taskCount is derived from the tasks, not a change of the category: compared apart below.
    const withoutCount = ({ taskCount: _taskCount, ...category }: Record<string, unknown>) => category;
    for (const category of categoriesNow.json().items) expected.set(`category:${category.id}`, withoutCount(category));
    const mirrored = new Map([...mirror].map(([key, value]) => [key, key.startsWith('category:') ? withoutCount(value) : value]));
    expect(polls).toBeGreaterThan(1);
    expect(Object.fromEntries(mirrored)).toEqual(Object.fromEntries(expected));
  });
});
