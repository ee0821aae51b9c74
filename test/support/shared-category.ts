import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { registerAndLogin, type TestAccount } from './accounts.js';
import type { ApiTest } from './api-test.js';
import { changesPage, type Change } from './change-feed.js';
import { createCategory, expectProblem, sql, type Call, type CategoryBody, type TaskBody } from './tasks-fixtures.js';

export { changesPage, type Change };

/** The person summary the API shows for an account registered by registerAndLogin. */
export const summary = (account: TestAccount) => ({ id: account.id, username: account.username, name: 'Test User' });

/** The owner invites `member` (by username) and the member accepts: a member with that role. */
export async function join(call: Call, owner: TestAccount, member: TestAccount, categoryId: string, role: 'editor' | 'viewer'): Promise<void> {
  const sent = await call(owner, 'POST', `/categories/${categoryId}/invitations`, { payload: { login: member.username, role } });
  expect({ status: sent.statusCode, body: sent.body }).toEqual({ status: 201, body: expect.any(String) });
  const accepted = await call(member, 'POST', `/invitations/${sent.json().id}/accept`);
  expect({ status: accepted.statusCode, body: accepted.body }).toEqual({ status: 200, body: expect.any(String) });
}

/** What each case of the shared-task specs starts from: a fresh owner's category with an editor and a viewer, and a stranger to it. */
export async function categoryWithMembers(app: NestFastifyApplication, call: Call) {
  const [owner, editor, viewer, stranger] = await Promise.all([0, 1, 2, 3].map(() => registerAndLogin(app)));
  const category = await createCategory(call, owner, { name: 'Shared', color: '#112233' });
  await join(call, owner, editor, category.id, 'editor');
  await join(call, owner, viewer, category.id, 'viewer');
  return { owner, editor, viewer, stranger, category };
}

export const idsOf = (tasks: Array<{ id: string }>) => tasks.map((task) => task.id).sort();

/** GET and PATCH /tasks/{id} as an account. */
export const taskCalls = (call: Call) => ({
  get: (account: TestAccount, id: string) => call(account, 'GET', `/tasks/${id}`),
  patch: (account: TestAccount, id: string, payload: object) => call(account, 'PATCH', `/tasks/${id}`, { payload }),
});

export interface OwnedCategory {
  owner: TestAccount;
  category: CategoryBody;
}

/** What each case of the category-sharing specs starts from: a fresh owner and their category, not shared yet. */
export async function ownerWithCategory(app: NestFastifyApplication, call: Call): Promise<OwnedCategory> {
  const owner = await registerAndLogin(app);
  const category = await createCategory(call, owner, { name: 'Shared', color: '#112233' });
  return { owner, category };
}

/**
 * The invitation calls of the category-sharing specs. They default to the case's owner and
 * category, read through `current` at each call because every case replaces them.
 */
export function invitationCalls(api: ApiTest, current: () => OwnedCategory) {
  const { call } = api;
  const invite = (login: string, role = 'editor', as = current().owner, categoryId = current().category.id) =>
    call(as, 'POST', `/categories/${categoryId}/invitations`, { payload: { login, role } });
  const count = async (table: string) => (await sql<{ n: number }>(api.app, `select count(*)::int as n from ${table} where category_id = ?`, [current().category.id]))[0].n;

  /** Invites the account (by username) and accepts as it: it is then a member with that role. */
  async function inviteAndAccept(account: TestAccount, role = 'editor', categoryId = current().category.id, inviter = current().owner): Promise<LightMyRequestResponse> {
    const sent = await invite(account.username, role, inviter, categoryId);
    expect(sent.statusCode).toBe(201);
    const accepted = await call(account, 'POST', `/invitations/${sent.json().id}/accept`);
    expect(accepted.statusCode).toBe(200);
    return accepted;
  }

  return { invite, count, join: inviteAndAccept };
}

export function expectForbidden(response: LightMyRequestResponse): void {
  expectProblem(response, 403);
  expect(response.json().type).toBe('urn:tasktracker:problem:forbidden');
}

/** Every task of GET /tasks?{query}, following nextCursor with pages of `limit`. */
export async function listAll(call: Call, account: TestAccount, query = '', limit = 100): Promise<TaskBody[]> {
  const items: TaskBody[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 200; page++) {
    const response = await call(account, 'GET', `/tasks?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect({ status: response.statusCode, body: response.statusCode === 200 ? 'ok' : response.body }).toEqual({ status: 200, body: 'ok' });
    const body = response.json();
    expect(body.items.length).toBeLessThanOrEqual(limit);
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error('more than 200 pages');
}

/**
 * A client's copy of the tasks it can see, kept by the change feed: started from a cursor taken
 * before a full listing, then upserts set and deletes remove. `seen` keeps every change applied.
 */
export class TaskMirror {
  readonly tasks = new Map<string, unknown>();
  readonly seen: Change[] = [];
  private cursor = '';

  constructor(
    private readonly call: Call,
    readonly account: TestAccount,
  ) {}

  async start(): Promise<this> {
    this.cursor = (await changesPage(this.call, this.account)).cursor;
    for (const task of await listAll(this.call, this.account, 'scope=all')) this.tasks.set(task.id, task);
    return this;
  }

  /** One page of at most `limit` changes; true when more are waiting. */
  async poll(limit = 5): Promise<boolean> {
    const page = await changesPage(this.call, this.account, this.cursor, limit);
    for (const change of page.changes) {
      this.seen.push(change);
      if (change.entityType !== 'task') continue;
      if (change.op === 'upsert') this.tasks.set(change.entityId, change.data);
      else this.tasks.delete(change.entityId);
    }
    this.cursor = page.cursor;
    return page.hasMore;
  }

  async drain(): Promise<void> {
    while (await this.poll(500));
  }

  /** The last change applied for each entity since `from` (an index into `seen`). */
  latestSince(from: number): Map<string, Change> {
    return new Map(this.seen.slice(from).map((change) => [`${change.entityType}:${change.entityId}`, change]));
  }

  async expectEqualsListing(): Promise<void> {
    const listed = new Map((await listAll(this.call, this.account, 'scope=all')).map((task) => [task.id, task]));
    expect(Object.fromEntries(this.tasks)).toEqual(Object.fromEntries(listed));
  }
}
