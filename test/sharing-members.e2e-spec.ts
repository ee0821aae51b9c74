import { MikroORM, RequestContext } from '@mikro-orm/core';
import { CategoriesService } from '../src/categories/categories.service.js';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { expectForbidden, invitationCalls, ownerWithCategory, summary } from './support/shared-category.js';
import { createCategory, expectProblem, ISO_UTC, MISSING_ID, sql, type CategoryBody } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;

let owner: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  ({ owner, category } = await ownerWithCategory(api.app, call));
});

const { count, join } = invitationCalls(api, () => ({ owner, category }));

describe('roles on the category routes', () => {
  it('lets members read the category, and only the owner rename or delete it', async () => {
    const [editor, viewer, stranger] = [await registerAndLogin(api.app), await registerAndLogin(api.app), await registerAndLogin(api.app)];
    await join(editor, 'editor');
    await join(viewer, 'viewer');
    for (const [member, role] of [[editor, 'editor'], [viewer, 'viewer']] as const) {
      expect((await call(member, 'GET', `/categories/${category.id}`)).json()).toMatchObject({ id: category.id, role, owner: summary(owner) });
      expectForbidden(await call(member, 'PATCH', `/categories/${category.id}`, { payload: { name: 'Hijacked' } }));
      expectForbidden(await call(member, 'DELETE', `/categories/${category.id}`));
    }
    expectProblem(await call(stranger, 'GET', `/categories/${category.id}`), 404);
    expectProblem(await call(stranger, 'PATCH', `/categories/${category.id}`, { payload: { name: 'Hijacked' } }), 404);
    expectProblem(await call(stranger, 'DELETE', `/categories/${category.id}`), 404);
    expect((await call(stranger, 'GET', '/categories')).json().items).toEqual([]);
    expect((await sql(api.app, 'select name from categories where id = ?', [category.id]))[0]).toEqual({ name: 'Shared' });

    const renamed = await call(owner, 'PATCH', `/categories/${category.id}`, { payload: { name: 'Renamed' } });
    expect(renamed.json()).toMatchObject({ name: 'Renamed', role: 'owner' });
    const updates = await sql<{ user_id: string }>(api.app, "select user_id::text from activity where entity_id = ? and action = 'update' order by user_id", [category.id]);
    expect(updates.map((row) => row.user_id)).toEqual([owner.id, editor.id, viewer.id].sort());

    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    const deletes = await sql<{ user_id: string }>(api.app, "select user_id::text from activity where entity_id = ? and action = 'delete' order by user_id", [category.id]);
    expect(deletes.map((row) => row.user_id)).toEqual([owner.id, editor.id, viewer.id].sort());
    expect(await count('category_members')).toBe(0);
    expectProblem(await call(editor, 'GET', `/categories/${category.id}`), 404);
  });

  it('lists shared categories among the own ones, by name, with role and owner', async () => {
    const bob = await registerAndLogin(api.app);
    await createCategory(call, bob, { name: 'zulu' });
    await createCategory(call, bob, { name: 'Alpha' });
    await join(bob, 'editor');
    const items = (await call(bob, 'GET', '/categories')).json().items as Array<CategoryBody & { role: string; owner: unknown }>;
    expect(items.map((item) => [item.name, item.role, item.owner])).toEqual([['Alpha', 'owner', summary(bob)], ['Shared', 'editor', summary(owner)], ['zulu', 'owner', summary(bob)]]);
  });
});

describe('what the change feed reads (CategoriesService)', () => {
  it('findMany answers only what the user can read now; existingIds tells a deleted category from a lost one', async () => {
    const bob = await registerAndLogin(api.app);
    // Called as the feed calls them: inside a request's context.
    const categories = api.app.get(CategoriesService);
    const inContext = <T>(work: (service: CategoriesService) => Promise<T>) => RequestContext.create(api.app.get(MikroORM).em, () => work(categories));
    const service = {
      findMany: (userId: string, ids: string[]) => inContext((it) => it.findMany(userId, ids)),
      existingIds: (ids: string[]) => inContext((it) => it.existingIds(ids)),
    };
    expect(await service.findMany(bob.id, [category.id])).toEqual([]);
    await join(bob, 'viewer');
    const [seen] = await service.findMany(bob.id, [category.id, MISSING_ID]);
    expect({ id: seen.category.id, role: seen.role, owner: seen.owner }).toEqual({ id: category.id, role: 'viewer', owner: summary(owner) });
    expect((await call(bob, 'DELETE', `/categories/${category.id}/members/${bob.id}`)).statusCode).toBe(204);
    expect(await service.findMany(bob.id, [category.id])).toEqual([]);
    expect(await service.existingIds([category.id, MISSING_ID])).toEqual(new Set([category.id]));
    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    expect(await service.existingIds([category.id])).toEqual(new Set());
  });
});

describe('members', () => {
  it('lists the owner first, then members; any role may read it, no one else', async () => {
    const [editor, viewer, stranger] = [await registerAndLogin(api.app), await registerAndLogin(api.app), await registerAndLogin(api.app)];
    await join(editor, 'editor');
    await join(viewer, 'viewer');
    const list = await call(viewer, 'GET', `/categories/${category.id}/members`);
    expect(list.json()).toEqual({
      items: [
        { user: summary(owner), role: 'owner', joinedAt: category.createdAt },
        { user: summary(editor), role: 'editor', joinedAt: expect.stringMatching(ISO_UTC) },
        { user: summary(viewer), role: 'viewer', joinedAt: expect.stringMatching(ISO_UTC) },
      ],
    });
    expect(list.body).not.toContain('@');
    expectProblem(await call(stranger, 'GET', `/categories/${category.id}/members`), 404);
  });

  it('lets the owner change a role and remove a member; members only leave', async () => {
    const [editor, viewer] = [await registerAndLogin(api.app), await registerAndLogin(api.app)];
    await join(editor, 'editor');
    await join(viewer, 'viewer');
    const members = `/categories/${category.id}/members`;
    expectForbidden(await call(editor, 'PATCH', `${members}/${viewer.id}`, { payload: { role: 'editor' } }));
    expectProblem(await call(owner, 'PATCH', `${members}/${viewer.id}`, { payload: { role: 'owner' } }), 400, ['role']);
    expectProblem(await call(owner, 'PATCH', `${members}/${owner.id}`, { payload: { role: 'viewer' } }), 400, ['userId']);
    expectProblem(await call(owner, 'PATCH', `${members}/${MISSING_ID}`, { payload: { role: 'viewer' } }), 404);
    const changed = await call(owner, 'PATCH', `${members}/${viewer.id}`, { payload: { role: 'editor' } });
    expect(changed.json()).toEqual({ user: summary(viewer), role: 'editor', joinedAt: expect.stringMatching(ISO_UTC) });
    expect((await call(viewer, 'GET', `/categories/${category.id}`)).json().role).toBe('editor');
    const [roleEntry] = await sql<{ changes: unknown }>(api.app, "select changes from activity where entity_id = ? and action = 'member_role' and user_id = ?", [category.id, viewer.id]);
    expect(roleEntry.changes).toEqual({ member: { from: { id: viewer.id, username: viewer.username, role: 'viewer' }, to: { id: viewer.id, username: viewer.username, role: 'editor' } } });

    expectForbidden(await call(editor, 'DELETE', `${members}/${viewer.id}`));
    expectForbidden(await call(editor, 'DELETE', `${members}/${owner.id}`));
    expectProblem(await call(owner, 'DELETE', `${members}/${owner.id}`), 400, ['userId']);
    expect(await count('category_members')).toBe(2);

    expect((await call(owner, 'DELETE', `${members}/${viewer.id}`)).statusCode).toBe(204);
    expectProblem(await call(viewer, 'GET', `/categories/${category.id}`), 404);
    const [removal] = await sql<{ changes: unknown }>(api.app, "select changes from activity where entity_id = ? and action = 'member_remove' and user_id = ?", [category.id, viewer.id]);
    expect(removal.changes).toEqual({ member: { from: { id: viewer.id, username: viewer.username, role: 'editor' }, to: null } });

    expect((await call(editor, 'DELETE', `${members}/${editor.id}`)).statusCode).toBe(204);
    expect((await call(editor, 'GET', '/categories')).json().items).toEqual([]);
    expect((await call(owner, 'GET', members)).json().items).toEqual([{ user: summary(owner), role: 'owner', joinedAt: category.createdAt }]);
    expectProblem(await call(editor, 'DELETE', `${members}/${editor.id}`), 404);
  });
});
