import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { createContractChecker, fetchDocument, listOperations, type ContractChecker, type Operation } from './support/openapi-contract.js';
import { createCategory, createTask } from './support/tasks-fixtures.js';

/**
 * Six callers against one shared category, over every operation of the OpenAPI document that
 * addresses a shared resource: each answers the documented status for each role. An operation
 * the document gains must land in MATRIX or in NOT_SHARED, or the first case fails.
 */

// Every mutating cell builds its own shared category: far more memberships than the default cap.
const api = apiTest({ RATE_LIMIT_PER_MINUTE: '1000000', MAX_SHARED_CATEGORIES_PER_USER: '100000' });
const { call } = api;

const CALLERS = ['owner', 'editor', 'viewer', 'nonMember', 'formerMember', 'invitee'] as const;
type Caller = (typeof CALLERS)[number];
const users = {} as Record<Caller | 'extra', TestAccount>;

/** A category shared with every caller's role, and one resource of each kind in it. */
interface World {
  categoryId: string;
  /** A live task in the category, created by its owner. */
  taskId: string;
  /** Another live task in the category, a neighbour for moves. */
  neighbourId: string;
  /** A task of the category in the trash. */
  trashedId: string;
  /** A viewer besides `viewer`, for the member routes to change or remove. */
  extraMemberId: string;
  /** The invitee's pending invitation. */
  invitationId: string;
}

interface Row {
  statuses: Record<Caller, number>;
  params: (world: World) => Record<string, string>;
  body?: (world: World) => unknown;
}

/** The owner, editor and viewer statuses; nobody else has a role, so they get 404 like an unknown id. */
const roles = (owner: number, editor: number, viewer: number, invitee = 404) => ({ owner, editor, viewer, nonMember: 404, formerMember: 404, invitee });
const category = (world: World) => ({ id: world.categoryId });
const task = (world: World) => ({ id: world.taskId });
const trashed = (world: World) => ({ id: world.trashedId });
const extraMember = (world: World) => ({ id: world.categoryId, userId: world.extraMemberId });
let unique = 0;
const next = () => `${Date.now().toString(36)}-${++unique}`;

const API = '/api/v1';
const MATRIX: Record<string, Row> = {
  [`get ${API}/categories/{id}`]: { statuses: roles(200, 200, 200), params: category },
  [`get ${API}/categories/{id}/activity`]: { statuses: roles(200, 200, 200), params: category },
  [`patch ${API}/categories/{id}`]: { statuses: roles(200, 403, 403), params: category, body: () => ({ name: `Renamed ${next()}` }) },
  [`delete ${API}/categories/{id}`]: { statuses: roles(204, 403, 403), params: category },
  [`get ${API}/categories/{id}/members`]: { statuses: roles(200, 200, 200), params: category },
  [`patch ${API}/categories/{id}/members/{userId}`]: { statuses: roles(200, 403, 403), params: extraMember, body: () => ({ role: 'editor' }) },
  [`delete ${API}/categories/{id}/members/{userId}`]: { statuses: roles(204, 403, 403), params: extraMember },
  [`get ${API}/categories/{id}/invitations`]: { statuses: roles(200, 403, 403), params: category },
  [`post ${API}/categories/{id}/invitations`]: { statuses: roles(201, 403, 403), params: category, body: () => ({ login: `newcomer-${next()}@example.com`, role: 'viewer' }) },
  [`delete ${API}/categories/{id}/invitations/{invitationId}`]: {
    statuses: roles(204, 403, 403),
    params: (world) => ({ id: world.categoryId, invitationId: world.invitationId }),
  },
  // Addressed to the invitee alone: even the category's owner cannot answer it.
  [`post ${API}/invitations/{id}/accept`]: { statuses: roles(404, 404, 404, 200), params: (world) => ({ id: world.invitationId }) },
  [`post ${API}/invitations/{id}/decline`]: { statuses: roles(404, 404, 404, 204), params: (world) => ({ id: world.invitationId }) },
  [`get ${API}/tasks/{id}`]: { statuses: roles(200, 200, 200), params: task },
  [`get ${API}/tasks/{id}/activity`]: { statuses: roles(200, 200, 200), params: task },
  [`get ${API}/tasks/{id}/occurrences`]: { statuses: roles(200, 200, 200), params: task },
  [`get ${API}/tasks/{id}/upcoming`]: { statuses: roles(200, 200, 200), params: task },
  [`patch ${API}/tasks/{id}`]: { statuses: roles(200, 200, 403), params: task, body: () => ({ title: `Edited ${next()}` }) },
  [`post ${API}/tasks/{id}/toggle`]: { statuses: roles(200, 200, 403), params: task },
  [`post ${API}/tasks/{id}/move`]: { statuses: roles(200, 200, 403), params: task, body: (world) => ({ after: world.neighbourId }) },
  [`delete ${API}/tasks/{id}`]: { statuses: roles(204, 204, 403), params: task },
  [`post ${API}/tasks/{id}/restore`]: { statuses: roles(200, 200, 403), params: trashed },
  [`delete ${API}/trash/{id}`]: { statuses: roles(204, 204, 403), params: trashed },
};

/** Operations that name no shared resource, each with why: the caller's own things, or no caller at all. */
const NOT_SHARED: Record<string, string[]> = {
  'public: answers without a caller': ['get /health/live', 'get /health/ready', `post ${API}/auth/register`, `post ${API}/auth/login`],
  "the caller's account and sessions (matrix-ownership covers session ids)": [
    `post ${API}/auth/logout`, `get ${API}/auth/sessions`, `delete ${API}/auth/sessions/{id}`,
    `get ${API}/users/me`, `patch ${API}/users/me`, `delete ${API}/users/me`, `put ${API}/users/me/password`,
  ],
  "webhooks belong to one user and are never shared (matrix-ownership covers their ids)": [
    `post ${API}/webhooks`, `get ${API}/webhooks`, `get ${API}/webhooks/{id}`, `patch ${API}/webhooks/{id}`, `delete ${API}/webhooks/{id}`,
    `post ${API}/webhooks/{id}/secret`, `get ${API}/webhooks/{id}/deliveries`, `post ${API}/webhooks/{id}/deliveries/{deliveryId}/redeliver`,
  ],
  "label routes act on the caller's own tasks only (labels.e2e-spec: a member's rename leaves the owner's labels alone)": [
    `get ${API}/labels`, `patch ${API}/labels/{name}`, `delete ${API}/labels/{name}`,
  ],
  "the caller's own lists and creates, no id in the path (shared visibility in lists is asserted below)": [
    `get ${API}/activity`, `post ${API}/categories`, `get ${API}/categories`, `get ${API}/invitations`, `post ${API}/tasks`, `get ${API}/tasks`,
    `post ${API}/tasks/batch`, `get ${API}/tasks/stats`, `get ${API}/trash`, `get ${API}/changes`,
  ],
};

let operations: Operation[];
let checker: ContractChecker;
let readWorld: World;

function expectStatus(response: LightMyRequestResponse, status: number, what: string): void {
  expect({ what, status: response.statusCode, body: response.statusCode === status ? '' : response.body }).toEqual({ what, status, body: '' });
}

/** A fresh category of the owner's with an editor, two viewers, a removed member and a pending invitee. */
async function shareCategory(): Promise<World> {
  const { owner } = users;
  const created = await createCategory(call, owner, { name: `Shared ${next()}` });
  const invite = async (account: TestAccount, role: 'editor' | 'viewer') => {
    const sent = await call(owner, 'POST', `/categories/${created.id}/invitations`, { payload: { login: account.username, role } });
    expectStatus(sent, 201, `invite ${account.username}`);
    return sent.json().id as string;
  };
  const join = async (account: TestAccount, role: 'editor' | 'viewer') =>
    expectStatus(await call(account, 'POST', `/invitations/${await invite(account, role)}/accept`), 200, `accept ${role}`);
  const [invitationId] = await Promise.all([
    invite(users.invitee, 'editor'),
    join(users.editor, 'editor'),
    join(users.viewer, 'viewer'),
    join(users.extra, 'viewer'),
    join(users.formerMember, 'editor'),
  ]);
  const [live, neighbour, toTrash] = await Promise.all([
    createTask(call, owner, { title: `Shared task ${next()}`, categoryId: created.id }),
    createTask(call, owner, { title: `Neighbour task ${next()}`, categoryId: created.id }),
    createTask(call, owner, { title: `Trashed task ${next()}`, categoryId: created.id }),
    call(owner, 'DELETE', `/categories/${created.id}/members/${users.formerMember.id}`).then((removed) => expectStatus(removed, 204, 'remove the former member')),
  ]);
  expectStatus(await call(owner, 'DELETE', `/tasks/${toTrash.id}`), 204, 'trash a task');
  return { categoryId: created.id, taskId: live.id, neighbourId: neighbour.id, trashedId: toTrash.id, extraMemberId: users.extra.id, invitationId };
}

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (!(name in params)) throw new Error(`no fixture for {${name}} in ${path}`);
    return params[name];
  });
}

/** What is wrong with the caller's answer to one operation, as "METHOD path caller: ..." lines. */
async function runCell(operation: Operation, caller: Caller): Promise<string[]> {
  const row = MATRIX[operation.key];
  // GETs change nothing, so they share one category; every write gets a category of its own.
  const world = operation.method === 'GET' ? readWorld : await shareCategory();
  const url = fill(operation.path, row.params(world)).replace(API, '');
  const response = await call(users[caller], operation.method, url, row.body ? { payload: row.body(world) as object } : {});
  const cell = `${operation.method} ${operation.path} ${caller}`;
  const expected = row.statuses[caller];
  const problems: string[] = [];
  if (response.statusCode !== expected) problems.push(`${cell}: expected ${expected} got ${response.statusCode} ${response.body}`);
  if (response.statusCode === 403 && !String(response.json().type).endsWith('forbidden')) problems.push(`${cell}: 403 of type ${response.json().type}`);
  // Refusals must be documented problems; success bodies are openapi.e2e-spec's to check.
  if (response.statusCode >= 400) problems.push(...checker.violations(operation, response).map((violation) => `${cell}: contract: ${violation}`));
  return problems;
}

beforeAll(async () => {
  const document = await fetchDocument(api.app);
  operations = listOperations(document);
  checker = createContractChecker(document);
  for (const name of [...CALLERS, 'extra'] as const) users[name] = await registerAndLogin(api.app);
  readWorld = await shareCategory();
});

describe('role matrix: six callers against a shared category, over the OpenAPI document', () => {
  it('files every operation of the document under MATRIX or NOT_SHARED, exactly once, and lists no stale one', () => {
    const documented = operations.map((operation) => operation.key);
    const excluded = Object.values(NOT_SHARED).flat();
    const placed = [...Object.keys(MATRIX), ...excluded];
    expect(documented.filter((key) => !placed.includes(key))).toEqual([]);
    expect(placed.filter((key) => !documented.includes(key))).toEqual([]);
    expect(placed.filter((key, index) => placed.indexOf(key) !== index)).toEqual([]);
    // Every path naming a shared resource's id is in the matrix, not waved through.
    const sharedIds = /\/(categories|tasks|trash|invitations)\/\{id\}|\{userId\}|\{invitationId\}/;
    expect(excluded.filter((key) => sharedIds.test(key))).toEqual([]);
  });

  it.each(CALLERS)('the %s gets the documented status from every shared-resource operation', async (caller) => {
    const cells = operations.filter((operation) => MATRIX[operation.key]);
    expect(cells.length).toBe(Object.keys(MATRIX).length);
    const problems: string[] = [];
    for (const operation of cells) problems.push(...(await runCell(operation, caller)));
    expect(problems).toEqual([]);
  });

  it('a member may leave (remove themself) but an editor cannot remove the owner', async () => {
    for (const caller of ['editor', 'viewer'] as const) {
      const world = await shareCategory();
      expectStatus(await call(users[caller], 'DELETE', `/categories/${world.categoryId}/members/${users[caller].id}`), 204, `${caller} leaves`);
      expectStatus(await call(users[caller], 'GET', `/tasks/${world.taskId}`), 404, `${caller} after leaving`);
    }
    const world = await shareCategory();
    expectStatus(await call(users.editor, 'DELETE', `/categories/${world.categoryId}/members/${users.owner.id}`), 403, 'editor removes the owner');
    expectStatus(await call(users.owner, 'GET', `/categories/${world.categoryId}/members`), 200, 'owner still there');
  });

  it("lists show the shared category and its task to its members only; scope=shared to those it is shared with", async () => {
    const world = await shareCategory();
    const seen: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const caller of CALLERS) {
      const ids = async (path: string) => {
        const response = await call(users[caller], 'GET', path);
        expectStatus(response, 200, `${caller} GET ${path}`);
        return (response.json().items as Array<{ id: string }>).map((item) => item.id);
      };
      const member = ['owner', 'editor', 'viewer'].includes(caller);
      seen[caller] = {
        all: (await ids('/tasks?scope=all&limit=100')).includes(world.taskId),
        shared: (await ids('/tasks?scope=shared&limit=100')).includes(world.taskId),
        own: (await ids('/tasks?scope=own&limit=100')).includes(world.taskId),
        categories: (await ids('/categories')).includes(world.categoryId),
      };
      expected[caller] = { all: member, shared: member && caller !== 'owner', own: caller === 'owner', categories: member };
    }
    expect(seen).toEqual(expected);
  });
});
