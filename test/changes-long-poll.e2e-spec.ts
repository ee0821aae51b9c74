import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, createTask, expectProblem, type Call } from './support/tasks-fixtures.js';

// Two instances of the API on one database: a wait at one ends on a commit at the other.
let waiting: NestFastifyApplication;
let writing: NestFastifyApplication;
let callWaiting: Call;
let callWriting: Call;
let serverErrors: string[][];

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = '100000';
  [waiting, writing] = [await createTestApp(), await createTestApp()];
  await truncateAll(waiting);
  const clients = [apiClient(waiting), apiClient(writing)];
  [callWaiting, callWriting] = clients.map((client) => client.call);
  serverErrors = clients.map((client) => client.serverErrors);
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await Promise.all([waiting.close(), writing.close()]);
});

afterEach(() => {
  expect(serverErrors.flatMap((errors) => errors.splice(0))).toEqual([]);
});

async function startCursor(call: Call, account: TestAccount): Promise<string> {
  return (await call(account, 'GET', '/changes')).json().cursor;
}

/** A long-poll under way: its answer, and how long it took from the start. */
function poll(call: Call, account: TestAccount, cursor: string, waitSeconds: number) {
  const started = Date.now();
  return call(account, 'GET', `/changes?cursor=${cursor}&wait=${waitSeconds}`).then((response) => ({ response, ms: Date.now() - started }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GET /changes?wait=N (long-poll)', () => {
  let account: TestAccount;

  beforeEach(async () => {
    account = await registerAndLogin(waiting);
  });

  it('answers as soon as a change commits, even at another instance', async () => {
    const cursor = await startCursor(callWaiting, account);
    const held = poll(callWaiting, account, cursor, 20);
    await sleep(500);
    const task = await createTask(callWriting, account, { title: 'written elsewhere' });
    const { response, ms } = await held;
    expect(response.statusCode).toBe(200);
    expect(response.json().changes.map((change: { entityId: string }) => change.entityId)).toEqual([task.id]);
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(10_000);
  });

  it('answers at once when changes are already there', async () => {
    const cursor = await startCursor(callWaiting, account);
    await createTask(callWaiting, account, { title: 'already there' });
    const { response, ms } = await poll(callWaiting, account, cursor, 20);
    expect(response.json().changes).toHaveLength(1);
    expect(ms).toBeLessThan(5_000);
  });

  it("holds until N seconds pass when nothing changes, and ignores other users' changes", async () => {
    const cursor = await startCursor(callWaiting, account);
    const other = await registerAndLogin(waiting);
    const held = poll(callWaiting, account, cursor, 1);
    await createTask(callWriting, other, { title: 'not yours' });
    const { response, ms } = await held;
    expect(response.json()).toEqual({ changes: [], cursor: expect.any(String), hasMore: false });
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('refuses a wait outside 0 to 30 seconds with 400 naming the field', async () => {
    const cursor = await startCursor(callWaiting, account);
    for (const wait of ['31', '-1', 'soon']) {
      expectProblem(await callWaiting(account, 'GET', `/changes?cursor=${cursor}&wait=${wait}`), 400, ['wait']);
    }
  });

  it("lets a user hold 5 waits: a sixth ends the oldest, empty", async () => {
    const cursor = await startCursor(callWaiting, account);
    const oldest = poll(callWaiting, account, cursor, 20);
    await sleep(200);
    const others = [1, 2, 3, 4].map(() => poll(callWaiting, account, cursor, 20));
    await sleep(200);
    const sixth = poll(callWaiting, account, cursor, 20);
    const { response, ms } = await oldest;
    expect(response.json().changes).toEqual([]);
    expect(ms).toBeLessThan(10_000);
    await createTask(callWriting, account, { title: 'ends the rest' });
    for (const { response: answer } of await Promise.all([...others, sixth])) {
      expect(answer.json().changes).toHaveLength(1);
    }
  });
});

describe('long-polls and the instance', () => {
  it('hold no pool connection while they wait: with a pool of one, other requests still answer', async () => {
    process.env.DATABASE_POOL_SIZE = '1';
    process.env.DATABASE_MAX_OVERFLOW = '0';
    const small = await createTestApp();
    delete process.env.DATABASE_POOL_SIZE;
    delete process.env.DATABASE_MAX_OVERFLOW;
    try {
      const { call } = apiClient(small);
      const accounts = [await registerAndLogin(small), await registerAndLogin(small), await registerAndLogin(small)];
      const cursors = await Promise.all(accounts.map((account) => startCursor(call, account)));
      const held = accounts.map((account, i) => poll(call, account, cursors[i], 20));
      await sleep(500);
      // Were a wait holding the one connection, this would answer 503 after DATABASE_ACQUIRE_TIMEOUT_MS.
      expect((await call(accounts[0], 'GET', '/tasks')).statusCode).toBe(200);
      await Promise.all(accounts.map((account) => createTask(call, account, { title: 'ends the wait' })));
      for (const { response } of await Promise.all(held)) {
        expect(response.json().changes).toHaveLength(1);
      }
    } finally {
      await small.close();
    }
  });

  it('end at shutdown with an empty page and the same position, never an error', async () => {
    const closing = await createTestApp();
    const { call } = apiClient(closing);
    const account = await registerAndLogin(closing);
    const cursor = await startCursor(call, account);
    const held = poll(call, account, cursor, 25);
    await sleep(300);
    await closing.close();
    const { response, ms } = await held;
    expect(response.statusCode).toBe(200);
    expect(response.json().changes).toEqual([]);
    expect(JSON.parse(Buffer.from(response.json().cursor, 'base64url').toString()).s).toBe(JSON.parse(Buffer.from(cursor, 'base64url').toString()).s);
    expect(ms).toBeLessThan(15_000);
  });
});
