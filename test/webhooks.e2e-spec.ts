import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher.js';
import { WebhookRepository } from '../src/webhooks/webhook.repository.js';
import { WebhooksService } from '../src/webhooks/webhooks.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, createTask, expectProblem, sql, type Call } from './support/tasks-fixtures.js';
import { pollUntil, sleep } from './support/wait.js';

/** Waits (at most 10 s) until `condition` holds. */
const waitFor = (condition: () => Promise<boolean>, what: string) =>
  pollUntil(async () => ((await condition()) ? true : undefined), { timeoutMs: 10_000, what });

/** A receiver on loopback: records every delivery and answers what `answer` says. */
interface Receiver {
  url: string;
  deliveries: Array<{ headers: IncomingHttpHeaders; body: string }>;
  answer: (index: number) => number | 'hang';
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', deliveries: [], answer: () => 204, server: createServer() };
  receiver.server.on('request', (request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const index = receiver.deliveries.push({ headers: request.headers, body }) - 1;
      const status = receiver.answer(index);
      if (status !== 'hang') {
        response.writeHead(status).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

const SETTINGS = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_RETRY_SCHEDULE: '300ms,300ms',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  WEBHOOK_TIMEOUT_MS: '500',
  RATE_LIMIT_PER_MINUTE: '100000',
};

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];
let receiver: Receiver;
let account: TestAccount;

beforeAll(async () => {
  Object.assign(process.env, SETTINGS);
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
  receiver = await startReceiver();
});

afterAll(async () => {
  await app.close();
  receiver.server.closeAllConnections();
  receiver.server.close();
  for (const name of Object.keys(SETTINGS)) delete process.env[name];
});

beforeEach(async () => {
  account = await registerAndLogin(app);
  receiver.deliveries.length = 0;
  receiver.answer = () => 204;
});

afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

async function subscribe(events: string[] = ['task.*'], url = receiver.url): Promise<{ id: string; secret: string }> {
  const response = await call(account, 'POST', '/webhooks', { payload: { url, events } });
  expect(response.statusCode).toBe(201);
  return response.json();
}

const verify = (secret: string, delivery: Receiver['deliveries'][number]) =>
  new StandardWebhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);

describe('webhook subscriptions', () => {
  it('shows the whsec_ secret once, at creation, and never in a read', async () => {
    const created = await subscribe(['task.created', 'category.*']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const [one, all] = await Promise.all([call(account, 'GET', `/webhooks/${created.id}`), call(account, 'GET', '/webhooks')]);
    expect(one.json()).toEqual({ id: created.id, url: receiver.url, events: ['task.created', 'category.*'], active: true, disabledReason: null, createdAt: expect.any(String), updatedAt: expect.any(String) });
    expect(JSON.stringify([one.json(), all.json()])).not.toContain('whsec_');
  });

  it('refuses bad URLs and event names with 400 naming the field', async () => {
    for (const [payload, field] of [
      [{ url: 'ftp://example.com/', events: ['task.*'] }, 'url'],
      [{ url: 'https://user:pw@example.com/', events: ['task.*'] }, 'url'],
      [{ url: receiver.url, events: ['task.exploded'] }, 'events'],
      [{ url: receiver.url, events: [] }, 'events'],
    ] as const) {
      expectProblem(await call(account, 'POST', '/webhooks', { payload }), 400, [field]);
    }
  });

  it("answers another user's webhook like a missing one", async () => {
    const created = await subscribe();
    const other = await registerAndLogin(app);
    expect((await call(other, 'GET', `/webhooks/${created.id}`)).statusCode).toBe(404);
    expect((await call(other, 'DELETE', `/webhooks/${created.id}`)).statusCode).toBe(404);
    expect((await call(account, 'GET', `/webhooks/${created.id}`)).statusCode).toBe(200);
  });
});

describe('webhook delivery', () => {
  it('retries a failing receiver with the same webhook-id and valid signatures until it succeeds', async () => {
    const { id, secret } = await subscribe();
    receiver.answer = (index) => (index < 2 ? 500 : 204);
    const task = await createTask(call, account, { title: 'announced' });
    await waitFor(async () => receiver.deliveries.length >= 3, 'receiver.deliveries.length >= 3');
    const ids = new Set(receiver.deliveries.map((delivery) => delivery.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const delivery of receiver.deliveries) {
      expect(verify(secret, delivery)).toMatchObject({ type: 'task.created', data: { entityType: 'task', entityId: task.id, op: 'upsert', data: task } });
      expect(delivery.body).toBe(receiver.deliveries[0].body);
    }
    // The receiver has answered; the dispatcher records the attempt just after, so wait for the log too.
    await waitFor(async () => (await call(account, 'GET', `/webhooks/${id}/deliveries`)).json().items.length >= 3, 'three attempts in the log');
    const log = (await call(account, 'GET', `/webhooks/${id}/deliveries`)).json();
    expect(log.items.map((attempt: { attempt: number; statusCode: number }) => [attempt.attempt, attempt.statusCode])).toEqual([[3, 204], [2, 500], [1, 500]]);
    await sleep(800);
    expect(receiver.deliveries).toHaveLength(3);
  });

  it('queues nothing for a write that fails, and nothing twice for an idempotent replay', async () => {
    await subscribe();
    const task = await createTask(call, account, { title: 'v1' });
    expect((await call(account, 'PATCH', `/tasks/${task.id}`, { payload: { title: 'v2' }, headers: { 'if-match': '"stale"' } })).statusCode).toBe(412);
    for (let i = 0; i < 2; i++) {
      await call(account, 'PATCH', `/tasks/${task.id}`, { payload: { title: 'v3' }, headers: { 'idempotency-key': 'once' } });
    }
    const queued = await sql<{ event_type: string }>(app, 'select event_type from webhook_messages where user_id = ? order by seq', [account.id]);
    expect(queued.map((message) => message.event_type)).toEqual(['task.created', 'task.updated']);
  });

  it('sends only the subscribed events', async () => {
    await subscribe(['task.deleted']);
    const task = await createTask(call, account, { title: 'short-lived' });
    await call(account, 'DELETE', `/tasks/${task.id}`);
    await waitFor(async () => receiver.deliveries.length >= 1, 'receiver.deliveries.length >= 1');
    await sleep(400);
    expect(receiver.deliveries.map((delivery) => JSON.parse(delivery.body))).toEqual([
      { type: 'task.deleted', timestamp: expect.any(String), data: expect.objectContaining({ entityId: task.id, op: 'delete', reason: 'trashed' }) },
    ]);
  });

  it('delivers each event once per attempt when several instances dispatch at once', async () => {
    const second = await createTestApp(); // another instance on the same database, dispatching too
    try {
      await subscribe(['task.created']);
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => createTask(call, account, { title: `burst ${i}` })));
      await waitFor(async () => new Set(receiver.deliveries.map((delivery) => delivery.headers['webhook-id'])).size >= 20, 'twenty messages delivered');
      await sleep(500);
      const perMessage = new Map<unknown, number>();
      for (const delivery of receiver.deliveries) perMessage.set(delivery.headers['webhook-id'], (perMessage.get(delivery.headers['webhook-id']) ?? 0) + 1);
      expect([...perMessage.values()].every((count) => count === 1)).toBe(true);
      const delivered = receiver.deliveries.map((delivery) => JSON.parse(delivery.body).data.entityId).sort();
      expect(delivered).toEqual(created.map((task) => task.id).sort());
    } finally {
      await second.close();
    }
  });

  it('loses no event when the instance that claimed it dies before delivering', async () => {
    await subscribe();
    const dispatcher = app.get(WebhookDispatcher);
    await dispatcher.onModuleDestroy(); // this instance stops delivering, as a dead one would
    try {
      const task = await createTask(call, account, { title: 'survives' });
      // The dying instance's claim: the message's attempt is its for 1.5 s, then it never reports back.
      const claimedAt = Date.now();
      const claimed = await app.get(WebhookRepository).claimDue(10, 1_500);
      expect(claimed.map((message) => message.entityId)).toEqual([task.id]);
      await dispatcher.onApplicationBootstrap(); // a surviving instance delivers once the claim lapses
      await waitFor(async () => receiver.deliveries.length >= 1, 'the message is delivered by the survivor');
      expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(1_450);
      expect(JSON.parse(receiver.deliveries[0].body).data.entityId).toBe(task.id);
    } finally {
      await dispatcher.onApplicationBootstrap();
    }
  });

  it('disables a webhook that fails for the whole retry window, and says why', async () => {
    const { id } = await subscribe();
    receiver.answer = () => 503;
    await createTask(call, account, { title: 'never received' });
    await waitFor(async () => !(await call(account, 'GET', `/webhooks/${id}`)).json().active, '!(await call(account, GET, `/webhooks/${id}`)).json().acti');
    const webhook = (await call(account, 'GET', `/webhooks/${id}`)).json();
    expect(webhook.disabledReason).toMatch(/failed for the whole retry window/);
    expect(receiver.deliveries).toHaveLength(3);
    const reenabled = await call(account, 'PATCH', `/webhooks/${id}`, { payload: { active: true } });
    expect(reenabled.json()).toMatchObject({ active: true, disabledReason: null });
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const { id, secret } = await subscribe();
    const rotated = (await call(account, 'POST', `/webhooks/${id}/secret`)).json().secret;
    expect(rotated).not.toBe(secret);
    await createTask(call, account, { title: 'rotated' });
    await waitFor(async () => receiver.deliveries.length >= 1, 'receiver.deliveries.length >= 1');
    const [delivery] = receiver.deliveries;
    expect(String(delivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(rotated, delivery)).toBeTruthy();
    expect(verify(secret, delivery)).toBeTruthy();
  });

  it('redelivers an attempt on request, under the same webhook-id', async () => {
    const { id } = await subscribe();
    await createTask(call, account, { title: 'again' });
    await waitFor(async () => (await call(account, 'GET', `/webhooks/${id}/deliveries`)).json().items.length >= 1, 'the attempt in the log');
    const [attempt] = (await call(account, 'GET', `/webhooks/${id}/deliveries`)).json().items;
    expect((await call(account, 'POST', `/webhooks/${id}/deliveries/${attempt.id}/redeliver`)).statusCode).toBe(202);
    await waitFor(async () => receiver.deliveries.length >= 2, 'receiver.deliveries.length >= 2');
    expect(receiver.deliveries[1].headers['webhook-id']).toBe(receiver.deliveries[0].headers['webhook-id']);
    expect((await call(account, 'POST', `/webhooks/${id}/deliveries/999999999/redeliver`)).statusCode).toBe(404);
  });

  it('deletes delivered messages and their attempts after WEBHOOK_LOG_RETENTION, keeping pending ones', async () => {
    const { id } = await subscribe();
    await createTask(call, account, { title: 'old news' });
    await waitFor(async () => (await call(account, 'GET', `/webhooks/${id}/deliveries`)).json().items.length >= 1, 'a delivered message');
    await sql(app, "update webhook_messages set created_at = now() - interval '8 days' where webhook_id = ?", [id]);
    expect(await app.get(WebhooksService).pruneLog()).toBeGreaterThanOrEqual(1);
    expect((await call(account, 'GET', `/webhooks/${id}/deliveries`)).json().items).toEqual([]);
    expect(await sql(app, 'select 1 from webhook_messages where webhook_id = ?', [id])).toEqual([]);
  });
});
