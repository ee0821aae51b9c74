import { wrap } from '@mikro-orm/core';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Session } from '../src/auth/session.entity.js';
import { Category } from '../src/categories/category.entity.js';
import { Task } from '../src/tasks/task.entity.js';
import { User } from '../src/users/user.entity.js';
import { createTestOrm } from './support/test-orm.js';

let orm: MikroORM;
let sequence = 0;

async function newUser(email = `user${++sequence}@example.com`): Promise<User> {
  const em = orm.em.fork();
  const user = new User(email, `user_${sequence}_${Date.now()}`, 'Test User');
  await user.setPassword('a long enough password', 10);
  em.persist(user);
  await em.flush();
  return user;
}

/** Raw SQL through the connection, bypassing the ORM, for database-level guarantees. */
function sql(query: string, params: unknown[] = []) {
  return orm.em.getConnection().execute(query, params);
}

beforeAll(async () => {
  orm = await createTestOrm();
  await sql('truncate table "tasks", "categories", "sessions", "users" cascade');
});

afterAll(async () => {
  await orm.close();
});

describe('User entity', () => {
  it('stores the email lower-cased and never serialises the password hash', async () => {
    const user = await newUser('Mixed.Case@Example.COM');
    const [row] = await sql('select email, password_hash from users where id = ?', [user.id]);
    expect(row.email).toBe('mixed.case@example.com');
    expect(row.password_hash).toMatch(/^\$2[aby]\$10\$/);

    const loaded = await orm.em.fork().findOneOrFail(User, user.id);
    expect(JSON.stringify(wrap(loaded).toObject())).not.toContain(row.password_hash);
    expect(wrap(loaded).toObject()).not.toHaveProperty('passwordHash');
    expect(await loaded.checkPassword('a long enough password')).toBe(true);
    expect(await loaded.checkPassword('a wrong password')).toBe(false);
  });

  it('rejects an email that differs only in case, at the database', async () => {
    await newUser('unique.person@example.com');
    await expect(
      sql(
        `insert into users (email, username, name, password_hash) values ('unique.person@example.com', 'another_name', 'X', 'h')`,
      ),
    ).rejects.toThrow(/users_email_unique/);
    await expect(
      sql(`insert into users (email, username, name, password_hash) values ('Unique.Person@example.com', 'yet_another', 'X', 'h')`),
    ).rejects.toThrow(/users_email_lower_case_check/);
  });

  it('rejects a username that differs only in case, at the database', async () => {
    const user = await newUser();
    await expect(
      sql(`insert into users (email, username, name, password_hash) values ('other@example.com', ?, 'X', 'h')`, [
        user.username.toUpperCase(),
      ]),
    ).rejects.toThrow(/users_username_lower_unique/);
  });

  it('bumps updated_at on every update', async () => {
    const user = await newUser();
    const em = orm.em.fork();
    const loaded = await em.findOneOrFail(User, user.id);
    const before = loaded.updatedAt.getTime();
    await new Promise((resolve) => setTimeout(resolve, 15));
    loaded.name = 'Renamed';
    await em.flush();
    const [row] = await sql('select updated_at from users where id = ?', [user.id]);
    expect(new Date(row.updated_at).getTime()).toBeGreaterThan(before);
  });
});

describe('database constraints (raw SQL, no ORM checks)', () => {
  it.each([
    [`insert into users (email, username, name, password_hash) values (null, 'u_null', 'n', 'h')`, /not-null|null value/],
    [`insert into tasks (title, user_id) values (null, gen_random_uuid())`, /not-null|null value/],
  ])('rejects NULL in a required column: %s', async (statement, error) => {
    await expect(sql(statement)).rejects.toThrow(error);
  });

  it('rejects a status, priority or colour outside the allowed values', async () => {
    const user = await newUser();
    await expect(
      sql(`insert into tasks (title, user_id, status) values ('t', ?, 'done')`, [user.id]),
    ).rejects.toThrow(/tasks_status_check/);
    await expect(
      sql(`insert into tasks (title, user_id, priority) values ('t', ?, 'urgent')`, [user.id]),
    ).rejects.toThrow(/tasks_priority_check/);
    await expect(
      sql(`insert into categories (name, user_id, color) values ('c', ?, 'red')`, [user.id]),
    ).rejects.toThrow(/categories_color_check/);
  });

  it('rejects a task whose owner does not exist', async () => {
    await expect(
      sql(`insert into tasks (title, user_id) values ('t', gen_random_uuid())`),
    ).rejects.toThrow(/tasks_user_id_foreign/);
  });

  it('rejects two categories of one user whose names differ only in case', async () => {
    const user = await newUser();
    await sql(`insert into categories (name, user_id) values ('Work', ?)`, [user.id]);
    await expect(sql(`insert into categories (name, user_id) values ('WORK', ?)`, [user.id])).rejects.toThrow(
      /categories_user_name_lower_unique/,
    );
    const other = await newUser();
    await expect(sql(`insert into categories (name, user_id) values ('work', ?)`, [other.id])).resolves.toBeDefined();
  });
});

describe('relations', () => {
  // User has no inverse collections (users imports none of the modules that depend on it):
  // a user's categories and tasks are queried by owner.
  it('navigates category -> tasks and back, and finds both by their user', async () => {
    const user = await newUser();
    const em = orm.em.fork();
    const owner = await em.findOneOrFail(User, user.id);
    const category = new Category(owner, 'Home', '#AABBCC');
    const task = new Task(owner, 'Buy groceries', 'a0');
    task.category = category;
    em.persist([category, task]);
    await em.flush();

    const read = orm.em.fork();
    expect((await read.find(Category, { user: user.id })).map((c) => c.name)).toEqual(['Home']);
    expect((await read.find(Task, { user: user.id })).map((t) => t.title)).toEqual(['Buy groceries']);
    const loadedCategory = await read.findOneOrFail(Category, category.id, { populate: ['tasks', 'user'] });
    expect(loadedCategory.color).toBe('#aabbcc');
    expect(loadedCategory.user.id).toBe(user.id);
    expect(loadedCategory.tasks.getItems().map((t) => t.id)).toEqual([task.id]);
    const loadedTask = await read.findOneOrFail(Task, task.id, { populate: ['category'] });
    expect(loadedTask.category?.name).toBe('Home');
  });

  it('deleting a user removes its tasks, categories and sessions', async () => {
    const user = await newUser();
    const em = orm.em.fork();
    const owner = await em.findOneOrFail(User, user.id);
    const category = new Category(owner, 'Doomed');
    const task = new Task(owner, 'Doomed task', 'a0');
    task.category = category;
    em.persist([category, task, new Session(owner, 'f'.repeat(64), new Date(Date.now() + 60_000))]);
    await em.flush();

    await sql('delete from users where id = ?', [user.id]);
    for (const table of ['tasks', 'categories', 'sessions']) {
      const [{ count }] = await sql(`select count(*)::int as count from ${table} where user_id = ?`, [user.id]);
      expect(count).toBe(0);
    }
  });

  it('deleting a category keeps its tasks, now without a category', async () => {
    const user = await newUser();
    const em = orm.em.fork();
    const owner = await em.findOneOrFail(User, user.id);
    const category = new Category(owner, 'Temporary');
    const task = new Task(owner, 'Survivor', 'a0');
    task.category = category;
    em.persist([category, task]);
    await em.flush();

    await sql('delete from categories where id = ?', [category.id]);
    const [row] = await sql('select category_id from tasks where id = ?', [task.id]);
    expect(row).toEqual({ category_id: null });
  });
});

describe('Task entity', () => {
  it('ranks priorities high > medium > low in the generated sort column', async () => {
    const user = await newUser();
    await sql(
      `insert into tasks (title, user_id, priority) values ('l', ?, 'low'), ('h', ?, 'high'), ('m', ?, 'medium')`,
      [user.id, user.id, user.id],
    );
    const rows = await sql('select priority from tasks where user_id = ? order by priority_rank desc', [user.id]);
    expect(rows.map((r) => r.priority)).toEqual(['high', 'medium', 'low']);
  });

  it('uses time-ordered UUIDv7 primary keys', async () => {
    const first = await newUser();
    const second = await newUser();
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(first.id < second.id).toBe(true);
  });
});

describe('transactions and the pool', () => {
  it('a unit of work that fails half-way leaves no rows', async () => {
    const user = await newUser();
    await expect(
      orm.em.fork().transactional(async (em) => {
        const owner = em.getReference(User, user.id);
        em.persist(new Category(owner, 'Half-way'));
        await em.flush();
        em.persist(new Category(owner, 'HALF-WAY')); // violates the per-user unique name
        await em.flush();
      }),
    ).rejects.toThrow();
    const [{ count }] = await sql('select count(*)::int as count from categories where user_id = ?', [user.id]);
    expect(count).toBe(0);
  });

  it('completes more concurrent queries than the pool holds', async () => {
    const small = await createTestOrm(process.env.TEST_DATABASE_URL!, 2);
    try {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          small.em.fork().getConnection().execute('select pg_sleep(0.02), ?::int as n', [i]),
        ),
      );
      expect(results.map(([row]) => row.n)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    } finally {
      await small.close();
    }
  });
});
