import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type pg from 'pg';
import { registerAndLogin, type TestAccount } from '../support/accounts.js';
import { connectToTestDatabase, createAppWithEnv, faultName, INTERNAL_LEAK, uuidLiteral } from './support.js';

/**
 * DELETE /categories/{id} is one transaction: detach (and version-bump) its tasks, then delete
 * the category. A failure at the second step must leave the first undone.
 */
let app: NestFastifyApplication;
let db: pg.Client;
let account: TestAccount;

beforeAll(async () => {
  app = await createAppWithEnv({ DATABASE_URL: process.env.TEST_DATABASE_URL });
  db = await connectToTestDatabase();
  account = await registerAndLogin(app);
});

afterAll(async () => {
  await db?.end();
  await app?.close();
});

interface TaskRow {
  id: string;
  category_id: string | null;
  version: number;
  updated_at: Date;
}

const taskRows = async (ids: string[]) =>
  (await db.query<TaskRow>('select id, category_id, version, updated_at from tasks where id = any($1::uuid[]) order by id', [ids])).rows;

describe('a write that fails half-way', () => {
  it('DELETE /api/v1/categories/{id} failing at the category delete leaves its tasks untouched', async () => {
    const category = await app.inject({
      method: 'POST',
      url: '/api/v1/categories',
      headers: account.auth,
      payload: { name: 'Doomed but protected', color: '#3b82f6' },
    });
    expect(category.statusCode).toBe(201);
    const categoryId: string = category.json().id;

    const taskIds: string[] = [];
    const etags = new Map<string, string>();
    for (let index = 0; index < 4; index++) {
      const task = await app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: account.auth,
        payload: { title: `categorised ${index}`, categoryId },
      });
      expect(task.statusCode).toBe(201);
      taskIds.push(task.json().id);
      etags.set(task.json().id, String(task.headers.etag));
    }
    const before = await taskRows(taskIds);
    expect(before).toHaveLength(4);
    expect(before.every((row) => row.category_id === categoryId)).toBe(true);

    // The fault: PostgreSQL refuses to delete this one category, after the tasks were detached.
    const fn = faultName('refuse_category_delete');
    await db.query(`create function ${fn}() returns trigger language plpgsql as $$
      begin raise exception 'fault injection: refusing to delete category %', old.id; end $$`);
    await db.query(
      `create trigger ${fn} before delete on categories for each row when (old.id = ${uuidLiteral(categoryId)}) execute function ${fn}()`,
    );
    let failed;
    try {
      failed = await app.inject({ method: 'DELETE', url: `/api/v1/categories/${categoryId}`, headers: account.auth });
    } finally {
      await db.query(`drop trigger if exists ${fn} on categories`);
      await db.query(`drop function if exists ${fn}()`);
    }

    expect(failed.statusCode).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failed.json()).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: expect.any(String),
    });
    expect(failed.body).not.toMatch(INTERNAL_LEAK);
    expect(failed.body).not.toContain('fault injection');

    // Nothing of the first step survived: same category, same version, same updated_at.
    const after = await taskRows(taskIds);
    expect(after).toEqual(before);
    const stillThere = await db.query('select 1 from categories where id = $1', [categoryId]);
    expect(stillThere.rowCount).toBe(1);
    // Clients see the same: each task still in the category, under the ETag they already hold.
    for (const id of taskIds) {
      const task = await app.inject({ method: 'GET', url: `/api/v1/tasks/${id}`, headers: account.auth });
      expect({ status: task.statusCode, categoryId: task.json().categoryId, etag: task.headers.etag }).toEqual({
        status: 200,
        categoryId,
        etag: etags.get(id),
      });
    }

    // Without the fault the same request goes through, detaching and version-bumping the tasks.
    const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/categories/${categoryId}`, headers: account.auth });
    expect(deleted.statusCode).toBe(204);
    const detached = await taskRows(taskIds);
    expect(detached.map((row) => row.category_id)).toEqual([null, null, null, null]);
    expect(detached.map((row) => row.version)).toEqual(before.map((row) => row.version + 1));
  });
});
