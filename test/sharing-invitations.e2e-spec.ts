import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { expectForbidden, invitationCalls, ownerWithCategory, summary } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, ISO_UTC, MISSING_ID, sql, UUID, type CategoryBody } from './support/tasks-fixtures.js';

// Small limits, so each can be reached and raced cheaply; every case below stays under them otherwise.
const MAX_MEMBERS = 3;
const MAX_SHARED = 2;
const api = apiTest({
  RATE_LIMIT_PER_MINUTE: '100000',
  MAX_MEMBERS_PER_CATEGORY: String(MAX_MEMBERS),
  MAX_SHARED_CATEGORIES_PER_USER: String(MAX_SHARED),
});
const { call } = api;

let owner: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  ({ owner, category } = await ownerWithCategory(api.app, call));
});

const { invite, count, join } = invitationCalls(api, () => ({ owner, category }));
const received = async (account: TestAccount) => (await call(account, 'GET', '/invitations')).json().items as Array<{ id: string; role: string }>;

describe('invitations', () => {
  it('invites by username, lists it on both sides, and accepting makes a member who sees the category', async () => {
    const bob = await registerAndLogin(api.app);
    const sent = await invite(bob.username.toUpperCase(), 'viewer');
    expect(sent.statusCode).toBe(201);
    const invitation = sent.json();
    expect(invitation).toEqual({ id: expect.stringMatching(UUID), categoryId: category.id, login: bob.username.toUpperCase(), role: 'viewer', createdAt: expect.stringMatching(ISO_UTC), expiresAt: expect.stringMatching(ISO_UTC) });
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBe(14 * 24 * 3600_000);
    expect((await call(owner, 'GET', `/categories/${category.id}/invitations`)).json().items).toEqual([invitation]);
    expect(await received(bob)).toEqual([{ id: invitation.id, category: { id: category.id, name: 'Shared' }, invitedBy: summary(owner), role: 'viewer', createdAt: invitation.createdAt, expiresAt: invitation.expiresAt }]);
    // Not visible to anyone else, nor acceptable by them.
    const carol = await registerAndLogin(api.app);
    expect(await received(carol)).toEqual([]);
    expectProblem(await call(carol, 'POST', `/invitations/${invitation.id}/accept`), 404);
    expectProblem(await call(carol, 'POST', `/invitations/${invitation.id}/decline`), 404);

    await createTask(call, owner, { title: 'in the shared category', categoryId: category.id });
    const accepted = await call(bob, 'POST', `/invitations/${invitation.id}/accept`);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toEqual({ ...category, taskCount: 1, role: 'viewer', owner: summary(owner), updatedAt: expect.stringMatching(ISO_UTC) });
    expect(await received(bob)).toEqual([]);
    expect((await call(owner, 'GET', `/categories/${category.id}/invitations`)).json().items).toEqual([]);
    expect((await call(bob, 'GET', `/categories/${category.id}`)).json()).toEqual(accepted.json());
    expect((await call(bob, 'GET', '/categories')).json().items).toEqual([accepted.json()]);
    expect((await call(owner, 'GET', `/categories/${category.id}`)).json()).toMatchObject({ role: 'owner', owner: summary(owner), taskCount: 1 });
    // The acceptance is recorded for the owner and the new member alike.
    const [entry] = await sql<{ user_id: string; action: string; changes: unknown }>(api.app, "select user_id::text, action, changes from activity where entity_id = ? and action = 'member_add' and user_id = ?", [category.id, owner.id]);
    expect(entry.changes).toEqual({ member: { from: null, to: { id: bob.id, username: bob.username, role: 'viewer' } } });
    expect((await sql(api.app, "select 1 from activity where entity_id = ? and action = 'member_add' and user_id = ?", [category.id, bob.id])).length).toBe(1);
    // Accepted once only.
    expectProblem(await call(bob, 'POST', `/invitations/${invitation.id}/accept`), 404);
  });

  it('invites an e-mail address: the account with it sees the invitation, and one registered later too', async () => {
    const bob = await registerAndLogin(api.app);
    expect((await invite(` ${bob.email.toUpperCase()} `)).statusCode).toBe(201);
    expect((await received(bob)).map((item) => item.role)).toEqual(['editor']);
    const laterEmail = `later.${Date.now()}@example.com`;
    const sent = await invite(laterEmail.toUpperCase(), 'viewer');
    expect(sent.json().login).toBe(laterEmail.toUpperCase());
    expect((await sql(api.app, 'select invitee_email from category_invitations where id = ?', [sent.json().id]))[0]).toEqual({ invitee_email: laterEmail });
    const later = await registerAndLogin(api.app, { email: laterEmail });
    const [pending] = await received(later);
    expect(pending).toMatchObject({ id: sent.json().id, role: 'viewer' });
    expect((await call(later, 'POST', `/invitations/${pending.id}/accept`)).json().role).toBe('viewer');
  });

  it('answers an unknown login exactly like a known one: same status, same keys (no enumeration)', async () => {
    const bob = await registerAndLogin(api.app);
    const answers = await Promise.all([invite(bob.email), invite(`nobody.${Date.now()}@example.com`), invite(`nobody_${Date.now()}`)]);
    expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201]);
    const shapes = answers.map((answer) => ({ keys: Object.keys(answer.json()), contentType: answer.headers['content-type'] }));
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
    // The non-e-mail login naming nobody matches no one, now or later.
    expect(await count('category_invitations')).toBe(3);
    expect((await sql(api.app, 'select 1 from category_invitations where category_id = ? and invitee_id is null and invitee_email is null', [category.id])).length).toBe(1);
    // A second invitation for any of them is the same 409.
    for (const login of [bob.username, answers[1].json().login, answers[2].json().login.toUpperCase()]) {
      const again = await invite(login);
      expectProblem(again, 409, ['login']);
    }
  });

  it('declines and withdraws: the invitation is gone', async () => {
    const bob = await registerAndLogin(api.app);
    const first = (await invite(bob.username)).json();
    expect((await call(bob, 'POST', `/invitations/${first.id}/decline`)).statusCode).toBe(204);
    expect(await received(bob)).toEqual([]);
    expect(await count('category_invitations')).toBe(0);
    const second = (await invite(bob.username)).json();
    expect((await call(owner, 'DELETE', `/categories/${category.id}/invitations/${second.id}`)).statusCode).toBe(204);
    expectProblem(await call(owner, 'DELETE', `/categories/${category.id}/invitations/${second.id}`), 404);
    expectProblem(await call(bob, 'POST', `/invitations/${second.id}/accept`), 404);
    expect(await count('category_members')).toBe(0);
  });

  it('hides an expired invitation and refuses to accept it', async () => {
    const bob = await registerAndLogin(api.app);
    const sent = (await invite(bob.username)).json();
    await sql(api.app, "update category_invitations set expires_at = now() - interval '1 second' where id = ?", [sent.id]);
    expect(await received(bob)).toEqual([]);
    expect((await call(owner, 'GET', `/categories/${category.id}/invitations`)).json().items).toEqual([]);
    expectProblem(await call(bob, 'POST', `/invitations/${sent.id}/accept`), 404);
    expect(await count('category_members')).toBe(0);
    // It no longer blocks a new one.
    expect((await invite(bob.username)).statusCode).toBe(201);
  });

  it('refuses bad invitations and writes nothing', async () => {
    const bob = await registerAndLogin(api.app);
    await join(bob, 'viewer');
    const stranger = await registerAndLogin(api.app);
    const before = await count('category_invitations');
    expectProblem(await invite(owner.username), 400, ['login']);
    expectProblem(await invite(owner.email.toUpperCase()), 400, ['login']);
    expectProblem(await invite(bob.email), 400, ['login']);
    expectProblem(await invite(stranger.username, 'owner'), 400, ['role']);
    expectProblem(await invite('   '), 400, ['login']);
    expectProblem(await invite('x'.repeat(256)), 400, ['login']);
    expectForbidden(await invite(stranger.username, 'viewer', bob));
    expectProblem(await invite(owner.username, 'viewer', stranger), 404);
    expectProblem(await invite(stranger.username, 'viewer', owner, MISSING_ID), 404);
    expectForbidden(await call(bob, 'GET', `/categories/${category.id}/invitations`));
    expectProblem(await call(stranger, 'GET', `/categories/${category.id}/invitations`), 404);
    expect(await count('category_invitations')).toBe(before);
    expect(await received(stranger)).toEqual([]);
  });
});

describe('limits', () => {
  it(`caps members plus pending invitations at MAX_MEMBERS_PER_CATEGORY (${MAX_MEMBERS}), under concurrent invites`, async () => {
    const invitees = await Promise.all(Array.from({ length: MAX_MEMBERS + 3 }, () => registerAndLogin(api.app)));
    await join(invitees[0]);
    const answers = await Promise.all(invitees.slice(1).map((account) => invite(account.username)));
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([...Array(MAX_MEMBERS - 1).fill(201), ...Array(invitees.length - MAX_MEMBERS).fill(403)]);
    for (const refused of answers.filter((answer) => answer.statusCode === 403)) {
      expect(refused.json()).toMatchObject({ type: 'urn:tasktracker:problem:quota-exceeded', detail: expect.stringContaining(`at most ${MAX_MEMBERS}`) });
    }
    expect((await count('category_members')) + (await count('category_invitations'))).toBe(MAX_MEMBERS);
    // Accepting them all at once keeps the total.
    const accepted = await Promise.all(
      answers.filter((answer) => answer.statusCode === 201).map((answer) => {
        const account = invitees.find((candidate) => candidate.username === answer.json().login)!;
        return call(account, 'POST', `/invitations/${answer.json().id}/accept`);
      }),
    );
    expect(accepted.map((answer) => answer.statusCode)).toEqual(Array(MAX_MEMBERS - 1).fill(200));
    expect(await count('category_members')).toBe(MAX_MEMBERS);
    expect(await count('category_invitations')).toBe(0);
    expect((await invite((await registerAndLogin(api.app)).username)).statusCode).toBe(403);
  });

  it(`caps the categories one user joins at MAX_SHARED_CATEGORIES_PER_USER (${MAX_SHARED}), under concurrent accepts`, async () => {
    const bob = await registerAndLogin(api.app);
    const owners = await Promise.all(Array.from({ length: MAX_SHARED + 2 }, () => registerAndLogin(api.app)));
    const invitations: string[] = [];
    for (const other of owners) {
      const theirs = await createCategory(call, other, { name: 'Theirs' });
      invitations.push((await invite(bob.username, 'viewer', other, theirs.id)).json().id);
    }
    const answers = await Promise.all(invitations.map((id) => call(bob, 'POST', `/invitations/${id}/accept`)));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([...Array(MAX_SHARED).fill(200), ...Array(2).fill(403)]);
    expect((await sql<{ n: number }>(api.app, 'select count(*)::int as n from category_members where user_id = ?', [bob.id]))[0].n).toBe(MAX_SHARED);
    // A refused acceptance leaves the invitation pending.
    expect(await received(bob)).toHaveLength(2);
  });
});
