import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { login, registerAndLogin, type TestAccount } from './support/accounts.js';
import {
  createContractChecker,
  fetchDocument,
  fillPath,
  listOperations,
  resourceOf,
  type ContractChecker,
  type HttpMethod,
  type Operation,
} from './support/openapi-contract.js';
import { bearer, send, snapshotTables, sql } from './support/openapi-fixtures.js';
import { createTestApp, truncateAll } from './support/test-app.js';

/**
 * User B aims every `{id}` operation of the OpenAPI document at user A's resources: each answers
 * exactly like a nonexistent id, and A's data stays byte-for-byte the same. The id routes come
 * from the document, so a new one is attacked as soon as it is documented.
 */

let app: NestFastifyApplication;
let operations: Operation[];
let checker: ContractChecker;
let alice: TestAccount;
let bob: TestAccount;
/** A's resources per path segment before `{id}`. */
const owned: Record<string, string[]> = {};
let aliceTaskEtag: string;
let aliceSecrets: string[];

const API = '/api/v1';
/** Valid bodies for the id operations that take one, per resource. */
// Webhooks only on loopback, for an event nothing here causes: no delivery changes a table mid-test.
const WEBHOOK = { url: 'http://127.0.0.1:9/alice-hook', events: ['category.deleted'] };
const BODIES: Record<string, unknown> = { tasks: { title: 'x' }, categories: { name: 'x' }, webhooks: WEBHOOK };
/** Operations whose body is not their resource's. */
const OPERATION_BODIES: Record<string, unknown> = {
  // A's other task as the neighbour: B may know neither.
  'post /api/v1/tasks/{id}/move': { after: '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11' },
  'post /api/v1/categories/{id}/invitations': { login: 'someone@example.com', role: 'viewer' },
  'patch /api/v1/categories/{id}/members/{userId}': { role: 'viewer' },
};

const as = (account: TestAccount, method: HttpMethod, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  send(app, method, url, { authorization: account.auth.authorization, payload, headers });

beforeAll(async () => {
  process.env.RATE_LIMIT_PER_MINUTE = '1000000';
  app = await createTestApp();
  await truncateAll(app);
  const document = await fetchDocument(app);
  operations = listOperations(document);
  checker = createContractChecker(document);

  alice = await registerAndLogin(app);
  bob = await registerAndLogin(app);
  const category = (await as(alice, 'POST', `${API}/categories`, { name: 'Alice only', color: '#112233' })).json();
  const tasks: Array<{ id: string }> = [];
  for (const [index, status] of (['pending', 'completed', 'in_progress'] as const).entries()) {
    const created = await as(alice, 'POST', `${API}/tasks`, {
      title: `Alice secret ${index}`, description: 'confidential', labels: ['alice-label'], status, priority: 'high', dueDate: '2020-01-01T00:00:00Z', categoryId: category.id,
    });
    expect(created.statusCode).toBe(201);
    tasks.push(created.json());
    if (index === 0) aliceTaskEtag = created.headers.etag as string;
  }
  await login(app, alice.username, alice.password); // a second, non-current session
  const sessions = (await as(alice, 'GET', `${API}/auth/sessions`)).json().items as Array<{ id: string }>;
  expect(sessions).toHaveLength(2);
  const trashed = (await as(alice, 'POST', `${API}/tasks`, { title: 'Alice secret trashed' })).json();
  expect((await as(alice, 'DELETE', `${API}/tasks/${trashed.id}`)).statusCode).toBe(204);
  owned.trash = [trashed.id];
  owned.tasks = tasks.map((task) => task.id);
  owned.categories = [category.id];
  // Sharing: Carol is a member of A's category, A has a pending invitation out, and one from Carol in.
  const carol = await registerAndLogin(app);
  const carolInvited = await as(alice, 'POST', `${API}/categories/${category.id}/invitations`, { login: carol.username, role: 'editor' });
  expect((await as(carol, 'POST', `${API}/invitations/${carolInvited.json().id}/accept`)).statusCode).toBe(200);
  expect((await as(alice, 'POST', `${API}/categories/${category.id}/invitations`, { login: 'pending@example.com', role: 'viewer' })).statusCode).toBe(201);
  const carolCategory = (await as(carol, 'POST', `${API}/categories`, { name: 'Carol shares' })).json();
  const toAlice = await as(carol, 'POST', `${API}/categories/${carolCategory.id}/invitations`, { login: alice.email, role: 'viewer' });
  expect(toAlice.statusCode).toBe(201);
  owned.invitations = [toAlice.json().id];
  owned.sessions = sessions.map((session) => session.id);
  const webhook = await as(alice, 'POST', `${API}/webhooks`, WEBHOOK);
  expect(webhook.statusCode).toBe(201);
  owned.webhooks = [webhook.json().id];
  aliceSecrets = [...owned.tasks, ...owned.trash, ...owned.categories, ...owned.invitations, ...owned.sessions, ...owned.webhooks, webhook.json().secret, 'alice-hook', alice.id, alice.email, alice.username, 'Alice secret', 'confidential', '#112233', 'alice-label'];

  // The same name as A's: names are unique per user only.
  const bobCategory = (await as(bob, 'POST', `${API}/categories`, { name: 'Alice only' })).json();
  expect((await as(bob, 'POST', `${API}/tasks`, { title: 'Bob task', categoryId: bobCategory.id })).statusCode).toBe(201);
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

const idOperations = () => operations.filter((operation) => operation.path.includes('{id}'));

/** Conditional headers an attacker could add: `*` matches any current task, the ETag is A's own. */
function headerVariants(operation: Operation): Array<Record<string, string>> {
  const names = new Set((operation.operation.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  const variants: Array<Record<string, string>> = [{}];
  for (const name of ['if-match', 'if-none-match']) {
    if (names.has(name)) variants.push({ [name]: '*' }, { [name]: aliceTaskEtag }, { [name]: `W/${aliceTaskEtag}` });
  }
  return variants;
}

/** A's view of everything A owns: every parameterless GET, plus every GET on each of A's ids. */
/** A change-feed cursor carries the time it was issued; the position it holds is what must not move. */
const withoutIssueTimes = (body: string) =>
  body.replace(/"cursor":"([\w-]+)"/g, (_match, cursor: string) => {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    delete position.t;
    return `"cursor":${JSON.stringify(position)}`;
  });

async function aliceView(): Promise<Record<string, string>> {
  const view: Record<string, string> = {};
  for (const operation of operations.filter((o) => o.method === 'GET' && !o.isPublic)) {
    const resource = resourceOf(operation.path);
    const urls = resource ? (owned[resource] ?? []).map((id) => fillPath(operation.path, id)) : operation.path.includes('{') ? [] : [operation.path];
    for (const url of urls) {
      const response = await as(alice, 'GET', url);
      view[url] = `${response.statusCode} ${response.headers.etag ?? ''} ${withoutIssueTimes(response.body)}`;
    }
  }
  return view;
}

const describeAnswer = (response: LightMyRequestResponse) => ({
  status: response.statusCode,
  contentType: response.headers['content-type'],
  etag: response.headers.etag,
  location: response.headers.location,
  body: response.body,
});

describe("ownership matrix: B against A's ids, over the OpenAPI document", () => {
  // After each case (run alone too): A's token still works and B's attacks left B's own session alone.
  afterEach(async () => {
    expect((await as(alice, 'GET', `${API}/users/me`)).json().id).toBe(alice.id);
    expect((await send(app, 'GET', `${API}/users/me`, { authorization: bearer(bob.token) })).json().id).toBe(bob.id);
  });

  it("every {id} operation answers B for A's id exactly as for a random uuid (404), and A's data is unchanged", async () => {
    const beforeRows = await snapshotTables(app);
    const beforeView = await aliceView();
    let attacks = 0;
    for (const operation of idOperations()) {
      const resource = resourceOf(operation.path) ?? '';
      const ids = owned[resource];
      expect([operation.key, ids ? 'has ids of A' : `no fixture of A for "${resource}": extend this test`]).toEqual([operation.key, 'has ids of A']);
      const body = operation.bodySchema ? (OPERATION_BODIES[operation.key] ?? BODIES[resource]) : undefined;
      expect([operation.key, operation.bodySchema && !body ? 'no body' : 'ok']).toEqual([operation.key, 'ok']);
      for (const id of ids.flatMap((value) => [value, value.toUpperCase()])) {
        for (const headers of headerVariants(operation)) {
          const attack = await as(bob, operation.method, fillPath(operation.path, id), body, headers);
          const missing = await as(bob, operation.method, fillPath(operation.path, randomUUID()), body, headers);
          const label = { operation: operation.key, id, headers };
          expect({ ...label, ...describeAnswer(attack) }).toEqual({ ...label, ...describeAnswer(missing) });
          expect({ ...label, status: attack.statusCode, violations: checker.violations(operation, attack) }).toEqual({ ...label, status: 404, violations: [] });
          attacks++;
        }
      }
    }
    expect(attacks).toBeGreaterThanOrEqual(30);
    expect(await snapshotTables(app)).toEqual(beforeRows);
    expect(await aliceView()).toEqual(beforeView);
    // A's sessions all still work: the current one answers, none was revoked.
    expect((await as(alice, 'GET', `${API}/auth/sessions`)).json().items.map((s: { id: string }) => s.id).sort()).toEqual([...owned.sessions].sort());
  });

  it("no parameterless GET answered to B mentions any id, name or title of A", async () => {
    const lists = operations.filter((o) => o.method === 'GET' && !o.isPublic && !o.path.includes('{'));
    expect(lists.map((o) => o.path)).toEqual(expect.arrayContaining([`${API}/tasks`, `${API}/categories`, `${API}/auth/sessions`, `${API}/tasks/stats`]));
    for (const operation of lists) {
      const response = await as(bob, 'GET', operation.path);
      expect([operation.key, response.statusCode]).toEqual([operation.key, 200]);
      for (const secret of aliceSecrets) {
        expect([operation.key, secret, response.body.includes(secret)]).toEqual([operation.key, secret, false]);
      }
    }
  });

  it("B's label routes never reach A's labels: 404 as for a label nobody has, and A's tasks unchanged", async () => {
    const beforeRows = await snapshotTables(app);
    for (const [method, payload] of [['PATCH', { name: 'stolen' }], ['DELETE', undefined]] as const) {
      const attack = await as(bob, method, `${API}/labels/alice-label`, payload);
      const missing = await as(bob, method, `${API}/labels/nobody-has-this`, payload);
      expect(describeAnswer(attack)).toEqual(describeAnswer(missing));
      expect(attack.statusCode).toBe(404);
    }
    expect(await snapshotTables(app)).toEqual(beforeRows);
  });

  it("B's task list, filters, totals and stats count only B's own tasks", async () => {
    const [bobRows] = await sql<{ n: number }>(app, 'select count(*)::int as n from tasks where user_id = ?', [bob.id]);
    expect(bobRows.n).toBe(1);
    const queries = ['includeTotal=true', `categoryId=${owned.categories[0]}&includeTotal=true`, 'q=Alice&includeTotal=true', 'overdue=true&includeTotal=true', 'priority=high&includeTotal=true', 'status=completed,in_progress&includeTotal=true', 'labels=alice-label&includeTotal=true'];
    for (const query of queries) {
      const page = (await as(bob, 'GET', `${API}/tasks?${query}`)).json();
      const expected = query === 'includeTotal=true' ? 1 : 0;
      expect([query, page.total, page.items.length]).toEqual([query, expected, expected]);
    }
    const stats = (await as(bob, 'GET', `${API}/tasks/stats`)).json();
    expect(stats).toMatchObject({ total: 1, byStatus: { pending: 1, in_progress: 0, completed: 0 }, byPriority: { high: 0, medium: 1 }, overdue: 0 });
    const categories = (await as(bob, 'GET', `${API}/categories`)).json().items;
    expect(categories).toHaveLength(1);
    expect(categories[0]).toMatchObject({ name: 'Alice only', taskCount: 1 });
    expect(categories[0].id).not.toBe(owned.categories[0]);
    const sessions = (await as(bob, 'GET', `${API}/auth/sessions`)).json().items;
    expect(sessions.map((s: { current: boolean }) => s.current)).toEqual([true]);
  });

  it("B cannot file a task under A's category, on create or on update", async () => {
    const before = await snapshotTables(app);
    const created = await as(bob, 'POST', `${API}/tasks`, { title: 'Sneaky', categoryId: owned.categories[0] });
    expect(created.statusCode).toBe(400);
    expect(created.json().errors).toEqual([expect.objectContaining({ field: 'categoryId' })]);
    const [bobTask] = await sql<{ id: string }>(app, 'select id::text from tasks where user_id = ?', [bob.id]);
    for (const categoryId of [owned.categories[0], owned.categories[0].toUpperCase()]) {
      const updated = await as(bob, 'PATCH', `${API}/tasks/${bobTask.id}`, { categoryId });
      expect([categoryId, updated.statusCode]).toEqual([categoryId, 400]);
    }
    expect(await snapshotTables(app)).toEqual(before);
  });
});
