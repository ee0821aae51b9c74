import type { LightMyRequestResponse } from 'fastify';
import type { TestAccount } from './accounts.js';
import { changesPage, type Change } from './change-feed.js';
import { expectProblem, type Call, type TaskBody } from './tasks-fixtures.js';

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
