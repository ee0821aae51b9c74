import type pg from 'pg';
import { generateSessionToken, hashSessionToken } from '../src/auth/session-token.js';
import { encodeCursor, listFingerprint } from '../src/common/keyset-cursor.js';
import { hashPassword } from '../src/users/password.js';

export interface SeedSize {
  users: number;
  tasksPerUser: number;
  heavyTasks: number;
  /** How deep into the heavy user's list the "deep page" starts. */
  deepRows: number;
  /** The sharing member (issue 13): categories shared with them, tasks in each, and their own tasks. */
  sharedCategories: number;
  sharedTasksPerCategory: number;
  memberOwnTasks: number;
  /** How deep the member's scope=all pages start besides the first (cursor positions). */
  sharedDeepRows: number[];
}

export interface BenchUser {
  id: string;
  login: string;
  /** Bearer token of a live session (only its SHA-256 is in the database). */
  token: string;
  /** One of the user's categories and one of their tasks, for POST and GET/PATCH. */
  categoryId: string;
  taskId: string;
  /** The user's recurring task (daily, RECURRING_DUE_DATE onwards), for the recurring toggle. */
  recurringTaskId: string;
}

/** Every bench user's recurring task: daily at 09:00 UTC from this due date, with no end. */
export const RECURRING_DUE_DATE = '2027-01-04T09:00:00.000Z';
const RECURRENCE = { rule: 'FREQ=DAILY', timeZone: 'UTC', repeatFrom: 'due', startsAt: RECURRING_DUE_DATE };

export interface Fixture {
  password: string;
  bcryptCost: number;
  users: BenchUser[];
  heavy: BenchUser;
  /** Cursors of the heavy user's default list (-createdAt) after row 50 and after row deepRows. */
  page2Cursor: string;
  deepCursor: string;
  deepRows: number;
  /**
   * The sharing member: a viewer of `sharedCategories` categories of other users (each holding
   * `sharedTasksPerCategory` tasks) with `memberOwnTasks` tasks of their own; cursors of their
   * scope=all list after each of `sharedDeepRows`, and a task in the first shared category.
   */
  member: BenchUser & { sharedRows: number[]; sharedCursors: string[]; sharedTaskId: string };
  tasks: number;
}

export const PAGE_SIZE = 50;
export const LIST_SORT = '-createdAt';
/** The list's default scope (GET /tasks without `scope`), part of every cursor's fingerprint. */
export const LIST_SCOPE = 'all';
/** What a cursor of the default list is fingerprinted with: TasksService hashes {...filters, sort, scope}, no filter set. */
export const LIST_SHAPE = { sort: LIST_SORT, scope: LIST_SCOPE };
const PASSWORD = 'tasktracker bench password';
const BCRYPT_COST = 12;

const CATEGORIES = [['Work', '#3b82f6'], ['Home', '#22c55e'], ['Errands', '#f97316'], ['Health', '#ef4444'], ['Learning', '#a855f7']];

/**
 * Tasks for the given users, one statement: ~50% pending / 20% in progress / 30% completed,
 * 30% low / 50% medium / 20% high, 60% with a due date from 30 days ago to 60 days ahead, 70%
 * in one of the owner's categories (or all in the given ones: $3), half with a description,
 * created over the last year, each created by its owner (created_by_id, as the sharing
 * migration backfilled it).
 */
const INSERT_TASKS = `
  with owner as (
    select u.id, array_agg(c.id order by c.name) as categories
      from users u join categories c on c.user_id = u.id
     where u.id = any($1::uuid[]) and (c.id = any($3::uuid[]) or $3 is null) group by u.id
  ), draft as (
    select o.id as user_id, g.n,
           case when random() < 0.7 or $3 is not null then o.categories[1 + floor(random() * cardinality(o.categories))::int] end as category_id,
           (array['Write','Review','Fix','Plan','Call','Buy','Update','Prepare','Email','Clean'])[1 + floor(random() * 10)::int]
             || ' ' || (array['report','groceries','invoice','slides','the car','budget','docs','notes','backups','garden'])[1 + floor(random() * 10)::int]
             || ' #' || g.n as title,
           case when random() < 0.5 then 'Details for task ' || g.n || ': ' || repeat('lorem ipsum dolor ', 1 + floor(random() * 12)::int) end as description,
           random() as s, random() as p,
           case when random() < 0.6 then date_trunc('minute', now()) + (random() * 90 - 30) * interval '1 day' end as due_date,
           now() - random() * interval '365 days' as created_at
      from owner o cross join generate_series(1, $2::int) as g(n)
  ), task as (
    select *, case when s < 0.5 then 'pending' when s < 0.7 then 'in_progress' else 'completed' end as status,
           created_at + random() * (now() - created_at) as updated_at
      from draft
  )
  insert into tasks (title, description, status, priority, due_date, completed_at, user_id, created_by_id, category_id, created_at, updated_at)
  select title, description, status, case when p < 0.3 then 'low' when p < 0.8 then 'medium' else 'high' end,
         due_date, case when status = 'completed' then updated_at end, user_id, user_id, category_id, created_at, updated_at
    from task`;

/**
 * The position after `rows` rows of the user's default list (-createdAt, scope=all: their own
 * tasks and those of the categories shared with them), as the API encodes it.
 */
async function cursorAfter(client: pg.Client, userId: string, rows: number): Promise<string> {
  const { rows: [last] } = await client.query<{ id: string; value: string }>(
    `select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as value
       from tasks
      where deleted_at is null
        and (user_id = $1 or category_id in (select category_id from category_members where user_id = $1))
      order by created_at desc, id desc offset $2 limit 1`,
    [userId, rows - 1],
  );
  // TasksService fingerprints {...filters, sort, scope}; with no filter every filter key is undefined.
  return encodeCursor(listFingerprint(LIST_SHAPE), { value: last.value, id: last.id });
}

/** Empties the tables and fills them with generate_series; returns what the load needs. */
export async function seed(client: pg.Client, size: SeedSize): Promise<Fixture> {
  const passwordHash = await hashPassword(PASSWORD, BCRYPT_COST); // once: cost 12 takes ~0.3 s
  await client.query('truncate table tasks, categories, sessions, users, login_throttles cascade');
  await client.query('select setseed(0.42)'); // same data every run (same connection: same seed)
  await client.query(
    `insert into users (email, username, name, password_hash, created_at, updated_at)
     select 'bench' || n || '@example.com', 'bench_' || n, 'Bench User ' || n, $1, now() - interval '400 days', now() - interval '400 days'
       from generate_series(0, $2::int) as n`,
    [passwordHash, size.users],
  );
  await client.query(
    `insert into categories (name, color, user_id)
     select c.name, c.color, u.id from users u cross join unnest($1::text[], $2::text[]) as c(name, color)`,
    [CATEGORIES.map(([name]) => name), CATEGORIES.map(([, color]) => color)],
  );
  const { rows: accounts } = await client.query<{ id: string; username: string }>(
    `select id, username from users where username like 'bench\\_%' order by (substring(username from 7))::int`,
  );
  const [heavyAccount, ...regular] = accounts; // bench_0 is the heavy user
  await client.query(INSERT_TASKS, [regular.map((u) => u.id), size.tasksPerUser, null]);
  await client.query(INSERT_TASKS, [[heavyAccount.id], size.heavyTasks, null]);
  const member = await seedSharing(client, passwordHash, size);

  const sessionOf = [...accounts, member];
  const tokens = sessionOf.map(() => generateSessionToken());
  await client.query(
    `insert into sessions (user_id, token_hash, expires_at, last_used_at, user_agent)
     select user_id, token_hash, now() + interval '12 hours', now(), 'tasktracker-bench'
       from unnest($1::uuid[], $2::text[]) as s(user_id, token_hash)`,
    [sessionOf.map((u) => u.id), tokens.map(hashSessionToken)],
  );
  // One recurring task per user, the target of the recurring toggle; created long ago, so it is
  // never the newest task the other scenarios pick.
  const { rows: recurring } = await client.query<{ user_id: string; id: string }>(
    `insert into tasks (title, due_date, recurrence, user_id, created_by_id, created_at, updated_at)
     select 'Daily stand-up', $1::timestamptz, $2::jsonb, u.id, u.id, now() - interval '400 days', now() - interval '400 days'
       from users u
     returning user_id, id`,
    [RECURRING_DUE_DATE, JSON.stringify(RECURRENCE)],
  );
  const recurringOf = new Map(recurring.map((row) => [row.user_id, row.id]));
  // One category and the newest task of each user: the targets of POST, GET one and PATCH.
  const { rows: picks } = await client.query<{ user_id: string; category_id: string; task_id: string }>(
    `select u.id as user_id,
            (select id from categories c where c.user_id = u.id order by name limit 1) as category_id,
            -- live tasks (all of them here): the partial index; without the condition this took 80 s at full size
            (select id from tasks t where t.user_id = u.id and t.deleted_at is null order by created_at desc, id desc limit 1) as task_id
       from users u`,
  );
  const pick = new Map(picks.map((row) => [row.user_id, row]));
  const users = accounts.map((account, i): BenchUser => ({
    id: account.id,
    login: account.username,
    token: tokens[i],
    categoryId: pick.get(account.id)!.category_id,
    taskId: pick.get(account.id)!.task_id,
    recurringTaskId: recurringOf.get(account.id)!,
  }));
  const { rows: [shared] } = await client.query<{ id: string }>(
    `select t.id from tasks t join category_members m on m.category_id = t.category_id
      where m.user_id = $1 and t.deleted_at is null order by m.category_id, t.created_at desc, t.id desc limit 1`,
    [member.id],
  );
  await client.query('vacuum analyze'); // fresh statistics and visibility map, as after a day of autovacuum
  const { rows: [{ count }] } = await client.query<{ count: number }>('select count(*)::int as count from tasks');
  const sharedCursors: string[] = [];
  for (const rows of size.sharedDeepRows) {
    sharedCursors.push(await cursorAfter(client, member.id, rows)); // one at a time: one connection
  }

  return {
    password: PASSWORD,
    bcryptCost: BCRYPT_COST,
    users: users.slice(1),
    heavy: users[0],
    page2Cursor: await cursorAfter(client, heavyAccount.id, PAGE_SIZE),
    deepCursor: await cursorAfter(client, heavyAccount.id, size.deepRows),
    deepRows: size.deepRows,
    member: {
      id: member.id,
      login: member.username,
      token: tokens.at(-1)!,
      categoryId: pick.get(member.id)!.category_id,
      taskId: pick.get(member.id)!.task_id,
      recurringTaskId: recurringOf.get(member.id)!,
      sharedTaskId: shared.id,
      sharedRows: size.sharedDeepRows,
      sharedCursors,
    },
    tasks: count,
  };
}

/**
 * The sharing scenario (issue 13): `share_owner_1..n`, each with the usual five categories and one
 * more, "Shared k", holding `sharedTasksPerCategory` tasks; `share_member` with their own
 * `memberOwnTasks` tasks and a viewer of every "Shared" category. Outside the bench_ users, so the
 * other scenarios rotate over the same accounts as before.
 */
async function seedSharing(client: pg.Client, passwordHash: string, size: SeedSize): Promise<{ id: string; username: string }> {
  await client.query(
    `insert into users (email, username, name, password_hash, created_at, updated_at)
     select username || '@example.com', username, initcap(replace(username, '_', ' ')), $1, now() - interval '400 days', now() - interval '400 days'
       from (select 'share_member' as username union all select 'share_owner_' || n from generate_series(1, $2::int) as n) as named`,
    [passwordHash, size.sharedCategories],
  );
  await client.query(
    `insert into categories (name, color, user_id)
     select c.name, c.color, u.id from users u cross join unnest($1::text[], $2::text[]) as c(name, color)
      where u.username like 'share\\_%'`,
    [CATEGORIES.map(([name]) => name), CATEGORIES.map(([, color]) => color)],
  );
  const { rows: shared } = await client.query<{ id: string; user_id: string }>(
    `insert into categories (name, color, user_id)
     select 'Shared ' || substring(u.username from 13), '#0ea5e9', u.id from users u where u.username like 'share\\_owner\\_%'
     returning id, user_id`,
  );
  const { rows: [member] } = await client.query<{ id: string; username: string }>(`select id, username from users where username = 'share_member'`);
  for (const category of shared) {
    await client.query(INSERT_TASKS, [[category.user_id], size.sharedTasksPerCategory, [category.id]]);
  }
  await client.query(INSERT_TASKS, [[member.id], size.memberOwnTasks, null]);
  await client.query(
    `insert into category_members (category_id, user_id, role) select unnest($1::uuid[]), $2, 'viewer'`,
    [shared.map((category) => category.id), member.id],
  );
  return member;
}
