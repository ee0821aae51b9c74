import type { MikroORM } from '@mikro-orm/postgresql';
import { sortSpec, TASK_SORTS } from '../src/tasks/task-sort.js';
import { Task } from '../src/tasks/task.entity.js';
import type { TaskFilters } from '../src/tasks/task.repository.js';
import { dropDatabase, ensureDatabaseExists, withDatabaseName } from './support/test-database.js';
import { createTestOrm } from './support/test-orm.js';

/** Its own database: 200,000 tasks would slow every other suite's truncation. */
const url = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_plans');
const USERS = 200;
const TASKS_PER_USER = 1_000;
let orm: MikroORM;
let userId: string;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

async function planOf(filters: TaskFilters, sort: (typeof TASK_SORTS)[number]): Promise<PlanNode[]> {
  const query = orm.em.fork().getRepository(Task).pageQuery(userId, filters, sortSpec(sort), undefined, 50);
  const [row] = await orm.em.getConnection().execute(`explain (format json) ${query.getFormattedQuery()}`);
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
  await connection.execute(
    `insert into tasks (title, description, status, priority, due_date, user_id, created_at, updated_at)
     select 'Task ' || n, case when n % 3 = 0 then 'details ' || n end,
            (array['pending', 'in_progress', 'completed'])[1 + n % 3],
            (array['low', 'medium', 'high'])[1 + n % 3],
            case when n % 4 <> 0 then now() + (n % 60 - 30) * interval '1 day' end,
            u.id, now() - n * interval '1 minute', now() - n * interval '1 minute'
       from users u cross join generate_series(1, ?) as n`,
    [TASKS_PER_USER],
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
  ])('filter %s uses an index too', async (_name, filters) => {
    const nodes = await planOf(filters, '-createdAt');
    console.log(_name, JSON.stringify(nodes.map((n) => [n['Node Type'], (n as {'Index Name'?: string})['Index Name']])));
    expect(nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'tasks')).toEqual([]);
  });
});
