import type { MikroORM } from '@mikro-orm/postgresql';
import { sortSpec, TASK_SORTS } from '../src/tasks/task-sort.js';
import { Activity } from '../src/activity/activity.entity.js';
import type { ActivityFilters } from '../src/activity/activity.repository.js';
import { Task } from '../src/tasks/task.entity.js';
import type { TaskFilters, TaskScope } from '../src/tasks/task-list-conditions.js';
import { TaskPages } from '../src/tasks/task-pages.js';
import { cursorTimestampSql } from '../src/common/keyset-cursor.js';
import type { Statement } from '../src/database/statement-templates.js';
import { dropDatabase, ensureDatabaseExists, withDatabaseName } from './support/test-database.js';
import { createTestOrm } from './support/test-orm.js';

/** Its own database: 200,000 tasks would slow every other suite's truncation. */
const url = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_plans');
const USERS = 200;
const TASKS_PER_USER = 1_000;
const USERS_PER_INSERT = 20;
let orm: MikroORM;
let userId: string;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

/**
 * The indexes a plan walks for the rows, leaving out tasks_parent_idx: every row's subtask counts
 * are one probe of it (a subplan per row of the page, never a scan).
 */
const walkIndexes = (nodes: PlanNode[]) => nodes.map((node) => node['Index Name']).filter((name): name is string => !!name?.startsWith('tasks_') && name !== 'tasks_parent_idx');

async function planOf(filters: TaskFilters, sort: (typeof TASK_SORTS)[number]): Promise<PlanNode[]> {
  return explain(new TaskPages(orm.em.fork()).pageStatement({ ownerId: userId, sharedCategoryIds: [] }, filters, sortSpec(sort), undefined, 50));
}

/** EXPLAIN of a statement with its values inlined, as MikroORM sends it. */
async function explain(statement: string | Statement): Promise<PlanNode[]> {
  const sql = typeof statement === 'string' ? statement : orm.em.getPlatform().formatQuery(statement.sql, statement.params);
  const [row] = await orm.em.getConnection().execute(`explain (format json) ${sql}`);
  return flatten(row['QUERY PLAN'][0].Plan);
}

beforeAll(async () => {
  await dropDatabase(url);
  await ensureDatabaseExists(url);
  orm = await createTestOrm(url);
  const connection = orm.em.getConnection();
  await connection.execute(
    `insert into users (email, username, name, password_hash)
     select 'plan' || n || '@example.com', 'plan_' || n, 'Plan ' || n, 'x' from generate_series(1, ?) as n`,
    [USERS],
  );
  // A few users per statement: one 200,000-row insert can outlast the statement timeout on a busy machine.
  for (let first = 1; first <= USERS; first += USERS_PER_INSERT) {
    await connection.execute(
      `insert into tasks (title, description, status, priority, due_date, user_id, created_at, updated_at)
       select 'Task ' || n, case when n % 3 = 0 then 'details ' || n end,
              (array['pending', 'in_progress', 'completed'])[1 + n % 3],
              (array['low', 'medium', 'high'])[1 + n % 3],
              case when n % 4 <> 0 then now() + (n % 60 - 30) * interval '1 day' end,
              u.id, now() - n * interval '1 minute', now() - n * interval '1 minute'
         from users u cross join generate_series(1, ?) as n
        where u.email in (select 'plan' || k || '@example.com' from generate_series(?::int, ?::int) as k)`,
      [TASKS_PER_USER, first, first + USERS_PER_INSERT - 1],
    );
  }
  // Labels: half of each user's tasks carry a common one, one in a hundred a rare one.
  await connection.execute(
    `update tasks set labels = case when title ~ '3$' and title ~ '0.$' then array['Common', 'Rare'] else array['Common'] end,
                      label_keys = case when title ~ '3$' and title ~ '0.$' then array['common', 'rare'] else array['common'] end
      where title ~ '[13579]$'`,
  );
  // A tenth of each user's tasks in the trash, and 200 activity entries each.
  await connection.execute(`update tasks set deleted_at = updated_at where title like '%0'`);
  await connection.execute(
    `insert into activity (user_id, seq, actor_id, entity_type, entity_id, action, changes)
     select u.id, n, u.id, (array['task', 'category'])[1 + n % 2], gen_random_uuid(),
            (array['create', 'update', 'toggle', 'delete'])[1 + n % 4], '{}'::jsonb
       from users u cross join generate_series(1, 200) as n`,
  );
  // One user with a long stream: 10,000 more entries for the change feed to follow.
  await connection.execute(
    `insert into activity (user_id, seq, actor_id, entity_type, entity_id, action, changes)
     select u.id, 200 + n, u.id, 'task', gen_random_uuid(), 'update', '{}'::jsonb
       from users u cross join generate_series(1, 10000) as n where u.email = 'plan7@example.com'`,
  );
  await connection.execute('analyze');
  [{ id: userId }] = await connection.execute(`select id from users where email = 'plan7@example.com'`);
}, 180_000);

afterAll(async () => {
  await orm.close();
  await dropDatabase(url);
});

describe(`the task list query on ${USERS * TASKS_PER_USER} tasks across ${USERS} users`, () => {
  it('has the data it claims', async () => {
    const [{ count }] = await orm.em.getConnection().execute('select count(*)::int as count from tasks');
    expect(count).toBe(USERS * TASKS_PER_USER);
    const [{ trashed }] = await orm.em.getConnection().execute('select count(*)::int as trashed from tasks where deleted_at is not null');
    expect(trashed).toBe((USERS * TASKS_PER_USER) / 10);
  });

  it.each(TASK_SORTS)('sort=%s reads one user in index order: no sequential scan, no sort', async (sort) => {
    const nodes = await planOf({}, sort);
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
    expect(nodes.some((node) => /Index/.test(node['Node Type']))).toBe(true);
    // The index gives the order: no sort of the user's rows.
    expect(nodes.filter((node) => node['Node Type'] === 'Sort')).toEqual([]);
  });

  it.each<[string, TaskFilters]>([
    ['status', { status: ['pending', 'in_progress'] }],
    ['priority', { priority: ['high'] }],
    ['uncategorised', { categoryId: null }],
    ['overdue', { overdue: true }],
    ['due window', { dueAfter: new Date(), dueBefore: new Date(Date.now() + 7 * 86_400_000) }],
    ['text search', { q: 'details 4' }],
    ['a common label', { labels: { keys: ['common'], match: 'any' } }],
    ['labels, all of them', { labels: { keys: ['common', 'rare'], match: 'all' } }],
  ])('filter %s uses an index too', async (_name, filters) => {
    const nodes = await planOf(filters, '-createdAt');
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
  });

  it('a rare label is found through the (owner, label keys) GIN index, not by reading all the owner\'s tasks', async () => {
    const nodes = await planOf({ labels: { keys: ['rare'], match: 'any' } }, '-createdAt');
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
    expect(walkIndexes(nodes)).toEqual(['tasks_user_label_keys_idx']);
  });

  // A common label walks the position index in order and stops at the page; a rare one is found
  // through the GIN index, and only its few rows are sorted.
  it.each<[string, string, boolean]>([
    ['common', 'tasks_user_position_idx', false],
    ['rare', 'tasks_user_label_keys_idx', true],
  ])('a %s label in manual order (sort=position) is read through an index, never by a sequential scan', async (label, index, sortsFewRows) => {
    const nodes = await planOf({ labels: { keys: [label], match: 'any' } }, 'position');
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
    expect(nodes.map((node) => node['Index Name'])).toContain(index);
    expect(nodes.some((node) => node['Node Type'] === 'Sort')).toBe(sortsFewRows);
  });

  it('text search (q) reads the owner\'s live tasks through a per-owner index and filters them', async () => {
    // The task quota bounds that scan (MAX_TASKS_PER_USER), so no trigram index is kept (docs/DATABASE.md).
    const indexes = walkIndexes(await planOf({ q: 'details 4' }, '-createdAt'));
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes.every((name) => name!.startsWith('tasks_user_'))).toBe(true);
  });
});

describe('the other keyset lists', () => {
  it('the trash walks its partial index newest first: no sequential scan, no sort', async () => {
    const nodes = await explain(new TaskPages(orm.em.fork()).trashPageStatement({ ownerId: userId, sharedCategoryIds: [] }, undefined, 50));
    expect(walkIndexes(nodes)).toEqual(['tasks_user_trash_idx']);
    // The people on each of the 50 rows are looked up in users (a small table here, scanned).
    expect(nodes.filter((node) => node['Node Type'] === 'Sort' || (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks'))).toEqual([]);
  });

  it('the activity stream walks (owner, seq) backwards: no sequential scan, no sort', async () => {
    const nodes = await explain(orm.em.fork().getRepository(Activity).pageQuery(userId, {}, undefined, 20).getFormattedQuery());
    expect(nodes.map((node) => node['Index Name'])).toContain('activity_user_seq_unique');
    expect(nodes.filter((node) => node['Node Type'] === 'Sort' || (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'activity'))).toEqual([]);
  });

  it.each([0, 5_000, 10_000])(
    'the change feed follows 10,200 entries in pages of 500 (from seq %i) through (owner, seq), reading one page at most',
    async (afterSeq) => {
      const nodes = await explain(orm.em.fork().getRepository(Activity).afterQuery(userId, String(afterSeq), 501).getFormattedQuery());
      expect(nodes.map((node) => node['Index Name']).filter(Boolean)).toEqual(['activity_user_seq_unique']);
      expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
      // The range condition bounds the index scan to the page: a sort, if the planner adds one, sorts at most 501 rows.
      const scan = nodes.find((node) => node['Index Name'] === 'activity_user_seq_unique') as PlanNode & { 'Index Cond': string };
      expect(scan['Index Cond']).toMatch(new RegExp(`seq > '${afterSeq}'::bigint\\) AND \\(seq <= '${afterSeq + 501}'::bigint`));
    },
  );

  it('the change feed reads the current state of a page of tasks by primary key', async () => {
    const ids = (await orm.em.getConnection().execute<Array<{ id: string }>>(`select id from tasks where user_id = ? limit 500`, [userId])).map((row) => row.id);
    const query = orm.em.fork().getRepository(Task).createQueryBuilder('task').select('*').where({ user: userId, id: { $in: ids } });
    // The shape of TaskRepository.findByIds: the owner's tasks among a page's ids.
    const nodes = await explain(query.getFormattedQuery());
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan')).toEqual([]);
  });

  it.each<[string, ActivityFilters, string]>([
    ['one task', { entityId: '0b6a2c1e-57a4-4c1f-9c43-7d2f5e0a9b11' }, 'activity_user_entity_seq_idx'],
    ['one entity type and action', { entityType: 'task', action: 'update' }, 'activity_user_seq_unique'],
  ])('filtered activity (%s) reads the owner\'s entries through an index, never a sequential scan', async (_name, filters, index) => {
    // PostgreSQL may sort the few matching entries after the join with their actors.
    const nodes = await explain(orm.em.fork().getRepository(Activity).pageQuery(userId, filters, undefined, 20).getFormattedQuery());
    expect(nodes.map((node) => node['Index Name'])).toContain(index);
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'activity')).toEqual([]);
  });
});

describe('a member\'s list (scope=all) over 10 shared categories of 10,000 tasks each and 10,000 own', () => {
  const SHARED_CATEGORIES = 10;
  const TASKS_PER_WALK = 10_000;
  let scope: TaskScope;

  beforeAll(async () => {
    const connection = orm.em.getConnection();
    const newUser = async (name: string) =>
      (await connection.execute<Array<{ id: string }>>(`insert into users (email, username, name, password_hash) values (?, ?, ?, 'x') returning id`, [`${name}@example.com`, name, name]))[0].id;
    const member = await newUser('plan_member');
    const addTasks = (owner: string, category: string | null) =>
      connection.execute(
        `insert into tasks (title, status, priority, due_date, user_id, created_by_id, category_id, created_at, updated_at)
         select 'Shared ' || n, (array['pending', 'in_progress', 'completed'])[1 + n % 3], (array['low', 'medium', 'high'])[1 + n % 3],
                case when n % 4 <> 0 then now() + (n % 60 - 30) * interval '1 day' end, ?, ?, ?,
                now() - n * interval '1 second', now() - n * interval '1 second'
           from generate_series(1, ?) as n`,
        [owner, owner, category, TASKS_PER_WALK],
      );
    await addTasks(member, null);
    const shared: string[] = [];
    for (let index = 1; index <= SHARED_CATEGORIES; index++) {
      const owner = await newUser(`plan_sharer_${index}`);
      const [{ id: category }] = await connection.execute<Array<{ id: string }>>(`insert into categories (name, user_id) values ('Shared', ?) returning id`, [owner]);
      await connection.execute(`insert into category_members (category_id, user_id, role) values (?, ?, 'viewer')`, [category, member]);
      await addTasks(owner, category);
      shared.push(category);
    }
    await connection.execute('analyze');
    scope = { ownerId: member, sharedCategoryIds: shared.sort() };
  }, 180_000);

  /** The (sort key as cursor text, id) of the row `offset` rows deep in the merged order, as a cursor would carry it. */
  async function positionAt(offset: number): Promise<{ value: string; id: string }> {
    const [row] = await orm.em.getConnection().execute<Array<{ value: string; id: string }>>(
      `select ${cursorTimestampSql('created_at')} as value, id from tasks
        where deleted_at is null and (user_id = ? or category_id = any(?::uuid[]))
        order by created_at desc, id desc offset ? limit 1`,
      [scope.ownerId, `{${scope.sharedCategoryIds.join(',')}}`, offset],
    );
    return row;
  }

  /**
   * Every walk reads its index in order and stops after a page (a Limit over an index scan); the
   * only sort allowed is the merge of those few rows, above the walks' limits.
   */
  function expectIndexWalks(nodes: PlanNode[]) {
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
    expect(nodes.filter((node) => node['Node Type'] === 'Bitmap Heap Scan')).toEqual([]);
    const sorts = nodes.filter((node) => node['Node Type'] === 'Sort');
    expect(sorts.length).toBeLessThanOrEqual(1);
    for (const sort of sorts) {
      const [append] = sort.Plans!;
      expect(append['Node Type']).toBe('Append');
      expect(append.Plans!.map((walk) => walk['Node Type'])).toEqual(Array(SHARED_CATEGORIES + 1).fill('Limit'));
      expect(append.Plans!.every((walk) => /Index/.test(walk.Plans![0]['Node Type']))).toBe(true);
    }
  }

  it.each(TASK_SORTS)('sort=%s: the first page takes one page from each walk\'s index, never the whole set', async (sort) => {
    expectIndexWalks(await explain(new TaskPages(orm.em.fork()).pageStatement(scope, {}, sortSpec(sort), undefined, 50)));
  });

  it('a page 50,000 rows deep reads from the cursor on in every walk, one page each', async () => {
    const after = await positionAt(50_000);
    const statement = new TaskPages(orm.em.fork()).pageStatement(scope, {}, sortSpec('-createdAt'), after, 50);
    expectIndexWalks(await explain(statement));
    const [first] = await orm.em.getConnection().execute<Array<{ id: string }>>(statement.sql, statement.params);
    expect(first.id).toBe((await positionAt(50_001)).id);
  });
});
