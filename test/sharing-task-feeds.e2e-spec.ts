import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { categoryWithMembers, idsOf, join, listAll, summary, taskCalls, TaskMirror } from './support/shared-category.js';
import { createCategory, createTask, expectProblem, type CategoryBody } from './support/tasks-fixtures.js';

const api = apiTest({ RATE_LIMIT_PER_MINUTE: '100000' });
const { call } = api;
const { get, patch } = taskCalls(call);

let owner: TestAccount;
let editor: TestAccount;
let viewer: TestAccount;
let category: CategoryBody;

beforeEach(async () => {
  ({ owner, editor, viewer, category } = await categoryWithMembers(api.app, call));
});

describe('when a category or an account goes', () => {
  it('deleting the category leaves its tasks uncategorised and private to their creators', async () => {
    const byEditor = await createTask(call, editor, { title: 'by the editor', categoryId: category.id });
    const byOwner = await createTask(call, owner, { title: 'by the owner', categoryId: category.id });
    const feeds = await Promise.all([owner, editor, viewer].map((account) => new TaskMirror(call, account).start()));
    expect((await call(owner, 'DELETE', `/categories/${category.id}`)).statusCode).toBe(204);
    expect((await get(editor, byEditor.id)).json()).toMatchObject({ categoryId: null, createdBy: summary(editor) });
    expect((await get(owner, byOwner.id)).json()).toMatchObject({ categoryId: null, createdBy: summary(owner) });
    for (const [account, id] of [[owner, byEditor.id], [editor, byOwner.id], [viewer, byEditor.id], [viewer, byOwner.id]] as const) {
      expectProblem(await get(account, id), 404);
    }
    expect(idsOf(await listAll(call, editor, 'scope=own'))).toEqual([byEditor.id]);
    expect(await listAll(call, viewer)).toEqual([]);
    for (const feed of feeds) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
  });

  it("deleting the editor's account leaves their task in the owner's category, created by the owner, and feeds say so", async () => {
    const ownerFeed = await new TaskMirror(call, owner).start();
    const task = await createTask(call, editor, { title: 'outlives its creator', categoryId: category.id, assigneeId: editor.id });
    await ownerFeed.drain();
    expect(ownerFeed.tasks.get(task.id)).toEqual(task);
    const deleted = await call(editor, 'DELETE', '/users/me', { payload: { password: editor.password } });
    expect(deleted.statusCode).toBe(204);
    const now = (await get(owner, task.id)).json();
    expect(now).toMatchObject({ categoryId: category.id, createdBy: summary(owner), assignee: null });
    expect((await get(viewer, task.id)).json()).toEqual(now);
    await ownerFeed.drain();
    await ownerFeed.expectEqualsListing();
  });
});

describe('feeds when membership starts and the owner goes', () => {
  it('a member joining gets the tasks in their feed, and every member loses them when the owner deletes the account', async () => {
    const task = await createTask(call, editor, { title: 'in the shared category', categoryId: category.id });
    const late = await registerAndLogin(api.app);
    const [lateFeed, editorFeed, viewerFeed] = await Promise.all([late, editor, viewer].map((account) => new TaskMirror(call, account).start()));
    expect(lateFeed.tasks.size).toBe(0);
    await join(call, owner, late, category.id, 'viewer');
    await lateFeed.drain();
    expect(lateFeed.tasks.get(task.id)).toEqual((await get(late, task.id)).json());

    expect((await call(owner, 'DELETE', '/users/me', { payload: { password: owner.password } })).statusCode).toBe(204);
    for (const feed of [lateFeed, editorFeed, viewerFeed]) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
  });
});

describe('the change feeds of members while another editor writes', () => {
  it('an editor and a viewer polling meanwhile mirror a fresh listing exactly; removed members get access_revoked', async () => {
    const writer = await registerAndLogin(api.app);
    await join(call, owner, writer, category.id, 'editor');
    const writersOwn = await createCategory(call, writer, { name: 'Writer own' });
    const seed = await createTask(call, owner, { title: 'there before', categoryId: category.id });
    await createTask(call, editor, { title: 'editor private' });
    await createTask(call, viewer, { title: 'viewer private' });
    const [editorFeed, viewerFeed, ownerFeed, writerFeed] = await Promise.all([editor, viewer, owner, writer].map((account) => new TaskMirror(call, account).start()));

    const expectOk = async (response: Promise<{ statusCode: number; body: string }>, what: string) => {
      const { statusCode, body } = await response;
      expect({ what, failed: statusCode < 300 ? null : `${statusCode} ${body}` }).toEqual({ what, failed: null });
    };
    const writes = async () => {
      const mine: string[] = [];
      const assignees = [writer.id, viewer.id, editor.id, null];
      for (let step = 0; step < 30; step++) {
        const target = mine[step % Math.max(1, mine.length)];
        switch (step % 6) {
          case 0:
            mine.push((await createTask(call, writer, { title: `w${step}`, categoryId: category.id, assigneeId: assignees[(step / 6) % 4] })).id);
            break;
          case 1:
            await expectOk(patch(writer, mine.at(-1)!, { title: `w${step} edited`, status: 'in_progress', assigneeId: writer.id }), 'edit');
            break;
          case 2:
            await expectOk(patch(writer, step % 4 === 0 ? seed.id : target, { categoryId: writersOwn.id }), 'move to own');
            await expectOk(call(writer, 'POST', `/tasks/${mine[0]}/toggle`), 'toggle');
            break;
          case 3:
            await expectOk(patch(writer, step % 4 === 1 ? seed.id : target, { categoryId: category.id }), 'move back');
            break;
          case 4:
            await expectOk(patch(writer, target, { categoryId: null }), 'move to none');
            await expectOk(call(writer, 'DELETE', `/tasks/${mine.at(-1)}`), 'trash');
            break;
          default:
            await expectOk(call(writer, 'POST', `/tasks/${mine.at(-1)}/restore`), 'restore');
            await expectOk(patch(writer, target, { categoryId: category.id, priority: 'high' }), 'move in from none');
        }
      }
      await expectOk(call(owner, 'DELETE', `/categories/${category.id}/members/${writer.id}`), 'remove the writer');
    };

    let writing = true;
    const follow = async (feed: TaskMirror) => {
      let polls = 0;
      for (; writing; polls++) await feed.poll(5);
      return polls;
    };
    const followers = Promise.all([follow(editorFeed), follow(viewerFeed), follow(ownerFeed)]);
    try {
      await writes();
    } finally {
      writing = false;
    }
    expect(Math.min(...(await followers))).toBeGreaterThan(1);
    for (const feed of [editorFeed, viewerFeed, ownerFeed]) {
      await feed.drain();
      await feed.expectEqualsListing();
    }
    // Moves out of the category reached the members as deletes while they polled.
    expect(viewerFeed.seen.filter((change) => change.entityType === 'task' && change.op === 'delete').length).toBeGreaterThan(0);
    const sharedNow = await listAll(call, owner, `categoryId=${category.id}`);
    expect(sharedNow.length).toBeGreaterThan(3);
    expect(sharedNow.filter((task) => task.createdBy?.id === writer.id).length).toBeGreaterThan(0);
    expect(sharedNow.every((task) => task.assignee?.id !== writer.id)).toBe(true);
    expect(editorFeed.tasks.size).toBe(sharedNow.length + 1);

    // The removed writer's feed takes back every task of the category and the category itself.
    await writerFeed.drain();
    await writerFeed.expectEqualsListing();
    const revoked = { op: 'delete', reason: 'access_revoked' };
    const writerLatest = writerFeed.latestSince(0);
    for (const task of sharedNow) expect(writerLatest.get(`task:${task.id}`)).toMatchObject(revoked);
    expect(writerLatest.get(`category:${category.id}`)).toMatchObject(revoked);

    // So does the viewer's, once the owner removes them: only their own task is left.
    const from = viewerFeed.seen.length;
    expect((await call(owner, 'DELETE', `/categories/${category.id}/members/${viewer.id}`)).statusCode).toBe(204);
    await viewerFeed.drain();
    const viewerLatest = viewerFeed.latestSince(from);
    expect(viewerLatest.size).toBe(sharedNow.length + 1);
    for (const task of sharedNow) expect(viewerLatest.get(`task:${task.id}`)).toMatchObject(revoked);
    expect(viewerLatest.get(`category:${category.id}`)).toMatchObject(revoked);
    await viewerFeed.expectEqualsListing();
    expect(viewerFeed.tasks.size).toBe(1);
  });
});
