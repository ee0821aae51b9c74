import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, createCategory, createTask, expectProblem, sql, type Call, type TaskBody } from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];

beforeAll(async () => {
  // Paging 250 tasks by 10 sorts takes more requests than the default per-minute budget.
  process.env.RATE_LIMIT_PER_MINUTE = '100000';
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
});

afterAll(async () => {
  delete process.env.RATE_LIMIT_PER_MINUTE;
  await app.close();
});

// Every case checks its own requests (emptied each time, so a 5xx is blamed on the case that saw
// it), and a case run alone with -t is still checked.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

const SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'dueDate', '-dueDate', 'priority', '-priority', 'title', '-title'] as const;
type Sort = (typeof SORTS)[number];
type Field = 'createdAt' | 'updatedAt' | 'dueDate' | 'priority' | 'title';

/** Follows nextCursor from the first page to the last, checking page sizes on the way. */
async function pageThrough(account: TestAccount, query: string, limit: number): Promise<TaskBody[]> {
  const items: TaskBody[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const response = await call(account, 'GET', `/tasks?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect({ status: response.statusCode, body: response.statusCode === 200 ? 'ok' : response.body }).toEqual({ status: 200, body: 'ok' });
    const body = response.json();
    items.push(...body.items);
    cursor = body.nextCursor;
    if (cursor === null) {
      expect(body.items.length).toBeLessThanOrEqual(limit);
      return items;
    }
    expect(body.items).toHaveLength(limit);
  }
  throw new Error('more than 100 pages');
}

describe('paging through 250 tasks full of ties, by every sort', () => {
  interface Keyed { id: string; createdAt: string; updatedAt: string; dueDate: string | null; priority: number; title: string }
  let pager: TestAccount;
  let rows: Keyed[];

  beforeAll(async () => {
    pager = await registerAndLogin(app);
    // Few distinct values per key (some a microsecond apart) and null due dates on every 5th task.
    await sql(app, `
      insert into tasks (title, status, priority, due_date, user_id, created_at, updated_at)
      select 'task ' || lpad((n % 9)::text, 2, '0'),
             (array['pending', 'in_progress', 'completed'])[1 + n % 3],
             (array['low', 'medium', 'high'])[1 + (n / 7) % 3],
             case when n % 5 = 0 then null
                  else timestamptz '2027-03-01 12:00:00.123456+00' + (n % 4) * interval '1 day' + (n % 2) * interval '1 microsecond' end,
             ?,
             timestamptz '2026-01-01 00:00:00.000001+00' + (n % 6) * interval '1 minute' + (n % 2) * interval '1 microsecond',
             timestamptz '2026-02-01 00:00:00+00' + (n % 4) * interval '1 second'
        from generate_series(1, 250) as n`, [pager.id]);
    const timestamp = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as ${column}`;
    rows = (await sql<Record<string, string | number | null>>(app,
      `select id::text, title, priority_rank, ${timestamp('created_at')}, ${timestamp('updated_at')},
              ${timestamp('due_date')}
         from tasks where user_id = ?`, [pager.id])).map((row) => ({
      id: row.id as string,
      title: row.title as string,
      priority: row.priority_rank as number,
      createdAt: row.created_at as string,
      updatedAt: row.updated_at as string,
      dueDate: row.due_date as string | null,
    }));
    expect(rows).toHaveLength(250);
    expect(rows.filter((row) => row.dueDate === null)).toHaveLength(50);
  });

  /** The documented order: key, then id, both in the sort's direction; null due dates last either way. */
  function expectedOrder(sort: Sort): string[] {
    const descending = sort.startsWith('-');
    const field = (descending ? sort.slice(1) : sort) as Field;
    const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
    return rows
      .toSorted((a, b) => {
        const [x, y] = [a[field], b[field]];
        if ((x === null) !== (y === null)) return x === null ? 1 : -1;
        const byKey = x === null || y === null ? 0 : compare(x, y);
        return (descending ? -1 : 1) * (byKey || compare(a.id, b.id));
      })
      .map((row) => row.id);
  }

  it.each(SORTS)('sort=%s with limit 7 returns each task exactly once, in order', async (sort) => {
    const items = await pageThrough(pager, `sort=${encodeURIComponent(sort)}`, 7);
    const ids = items.map((item) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expectedOrder(sort));
  });

  it('defaults to -createdAt', async () => {
    const ids = (await pageThrough(pager, 'includeTotal=false', 100)).map((item) => item.id);
    expect(ids).toEqual(expectedOrder('-createdAt'));
  });

  it('sort=-priority puts high first and low last; sort=priority the reverse', async () => {
    const firstPage = async (sort: string) => (await call(pager, 'GET', `/tasks?sort=${sort}&limit=100`)).json().items as TaskBody[];
    expect((await firstPage('-priority'))[0].priority).toBe('high');
    expect((await firstPage('priority'))[0].priority).toBe('low');
    const all = await pageThrough(pager, 'sort=-priority', 100);
    expect([...new Set(all.map((item) => item.priority))]).toEqual(['high', 'medium', 'low']);
  });

  it('adds total (all matching tasks) only with includeTotal=true', async () => {
    const withTotal = (await call(pager, 'GET', '/tasks?includeTotal=true&limit=5&status=completed')).json();
    expect(withTotal).toEqual({ items: expect.any(Array), nextCursor: expect.any(String), total: 83 });
    expect(withTotal.items).toHaveLength(5);
    for (const query of ['', '?includeTotal=false']) {
      expect(Object.keys((await call(pager, 'GET', `/tasks${query}`)).json()).sort()).toEqual(['items', 'nextCursor']);
    }
  });

  it('limits to 20 by default and accepts 1 to 100', async () => {
    expect((await call(pager, 'GET', '/tasks')).json().items).toHaveLength(20);
    expect((await call(pager, 'GET', '/tasks?limit=1')).json().items).toHaveLength(1);
    expect((await call(pager, 'GET', '/tasks?limit=100')).json().items).toHaveLength(100);
  });

  it('refuses a cursor reused with other filters or another sort, and a garbage or tampered cursor', async () => {
    const first = (await call(pager, 'GET', '/tasks?sort=title&status=pending&limit=3')).json();
    const cursor = encodeURIComponent(first.nextCursor);
    for (const query of ['sort=-title&status=pending', 'sort=title', 'sort=title&status=pending,completed', 'sort=title&status=pending&q=task', 'sort=createdAt&status=pending']) {
      expectProblem(await call(pager, 'GET', `/tasks?${query}&cursor=${cursor}`), 400, ['cursor']);
    }
    // The same list with another page size may continue.
    expect((await call(pager, 'GET', `/tasks?sort=title&status=pending&limit=5&cursor=${cursor}`)).statusCode).toBe(200);
    const decoded = JSON.parse(Buffer.from(first.nextCursor, 'base64url').toString('utf8'));
    const tampered = Buffer.from(JSON.stringify({ ...decoded, i: 'not-a-uuid' })).toString('base64url');
    for (const bad of ['garbage', 'eyJ9', tampered]) {
      expectProblem(await call(pager, 'GET', `/tasks?sort=title&status=pending&cursor=${bad}`), 400, ['cursor']);
    }
  });
});

describe('filters', () => {
  interface Seed { title: string; description: string | null; status: string; priority: string; dueDate: string | null; category: 'work' | 'home' | null }
  const seeds: Seed[] = [
    { title: 'Buy milk', description: 'from the shop', status: 'pending', priority: 'low', dueDate: '2020-01-01T00:00:00.000Z', category: 'home' },
    { title: 'Pay 100% of rent', description: null, status: 'in_progress', priority: 'high', dueDate: '2020-06-01T00:00:00.000Z', category: 'home' },
    { title: 'Write report_final', description: 'quarterly NUMBERS', status: 'completed', priority: 'high', dueDate: '2020-03-01T00:00:00.000Z', category: 'work' },
    { title: 'Review code', description: 'check the 50% case', status: 'pending', priority: 'medium', dueDate: '2030-01-01T00:00:00.000Z', category: 'work' },
    { title: 'Plan trip', description: null, status: 'pending', priority: 'medium', dueDate: null, category: null },
    { title: 'call mom', description: 'Weekly', status: 'in_progress', priority: 'low', dueDate: '2030-06-01T00:00:00.000Z', category: null },
    { title: 'Reportage', description: 'reportx', status: 'completed', priority: 'low', dueDate: null, category: 'work' },
    { title: 'Fix bug', description: 'under_score and back\\slash', status: 'pending', priority: 'high', dueDate: '2027-05-01T10:00:00.000Z', category: null },
    { title: 'Boundary twin', description: null, status: 'in_progress', priority: 'medium', dueDate: '2027-05-01T10:00:00.001Z', category: 'home' },
    { title: 'Old done', description: null, status: 'completed', priority: 'medium', dueDate: '2019-01-01T00:00:00.000Z', category: null },
  ];
  let lister: TestAccount;
  const categories: Record<'work' | 'home', string> = { work: '', home: '' };
  const idOf = new Map<Seed, string>();

  beforeAll(async () => {
    lister = await registerAndLogin(app);
    categories.work = (await createCategory(call, lister, { name: 'Work' })).id;
    categories.home = (await createCategory(call, lister, { name: 'Home' })).id;
    for (const seed of seeds) {
      const { category, ...fields } = seed;
      idOf.set(seed, (await createTask(call, lister, { ...fields, categoryId: category && categories[category] })).id);
    }
    // Another user's matching tasks must never show up.
    const other = await registerAndLogin(app);
    await createTask(call, other, { title: 'Buy milk report 100% _', status: 'pending', priority: 'high', dueDate: '2020-01-01T00:00:00Z' });
  });

  interface Filter { status?: string[]; priority?: string[]; category?: 'work' | 'home' | null; dueBefore?: string; dueAfter?: string; overdue?: boolean; q?: string }
  const matches = (seed: Seed, filter: Filter) =>
    (!filter.status || filter.status.includes(seed.status)) &&
    (!filter.priority || filter.priority.includes(seed.priority)) &&
    (filter.category === undefined || seed.category === filter.category) &&
    (!filter.dueBefore || (seed.dueDate !== null && Date.parse(seed.dueDate) < Date.parse(filter.dueBefore))) &&
    (!filter.dueAfter || (seed.dueDate !== null && Date.parse(seed.dueDate) > Date.parse(filter.dueAfter))) &&
    (!filter.overdue || (seed.dueDate !== null && Date.parse(seed.dueDate) < Date.now() && seed.status !== 'completed')) &&
    (!filter.q || [seed.title, seed.description ?? ''].some((text) => text.toLowerCase().includes(filter.q!.toLowerCase())));

  const cases: [string, () => string, Filter][] = [
    ['status', () => 'status=pending', { status: ['pending'] }],
    ['status list', () => 'status=pending,completed', { status: ['pending', 'completed'] }],
    ['priority', () => 'priority=high', { priority: ['high'] }],
    ['priority list', () => 'priority=low,medium', { priority: ['low', 'medium'] }],
    // The repeated form generated clients send by default (openapi-fetch, openapi-generator).
    ['status repeated', () => 'status=pending&status=completed', { status: ['pending', 'completed'] }],
    ['priority repeated', () => 'priority=low&priority=medium', { priority: ['low', 'medium'] }],
    ['both forms mixed, with a duplicate', () => 'status=pending,in_progress&status=in_progress&priority=low&priority=high,low',
      { status: ['pending', 'in_progress'], priority: ['low', 'high'] }],
    ['categoryId', () => `categoryId=${categories.work}`, { category: 'work' }],
    ['upper-case categoryId', () => `categoryId=${categories.home.toUpperCase()}`, { category: 'home' }],
    ['categoryId=none', () => 'categoryId=none', { category: null }],
    ['dueBefore (strict)', () => 'dueBefore=2027-05-01T10:00:00Z', { dueBefore: '2027-05-01T10:00:00Z' }],
    ['dueBefore with an offset', () => `dueBefore=${encodeURIComponent('2027-05-01T12:00:00+02:00')}`, { dueBefore: '2027-05-01T10:00:00Z' }],
    ['dueAfter (strict)', () => 'dueAfter=2027-05-01T10:00:00Z', { dueAfter: '2027-05-01T10:00:00Z' }],
    ['overdue', () => 'overdue=true', { overdue: true }],
    ['q, case-insensitive, in title or description', () => 'q=REPORT', { q: 'report' }],
    ['q in description only', () => 'q=numbers', { q: 'numbers' }],
    ['q with a literal %', () => 'q=%25', { q: '%' }],
    ['q with a literal _', () => 'q=_', { q: '_' }],
    ['q with a literal backslash', () => 'q=%5C', { q: '\\' }],
    ['all combined', () => `status=pending,in_progress&priority=low,high&categoryId=${categories.home}&overdue=true&dueAfter=2020-02-01T00:00:00Z&q=RENT`,
      { status: ['pending', 'in_progress'], priority: ['low', 'high'], category: 'home', overdue: true, dueAfter: '2020-02-01T00:00:00Z', q: 'rent' }],
    ['status, q, category and dueBefore combined', () => `status=completed&q=report&categoryId=${categories.work}&dueBefore=2021-01-01T00:00:00Z`,
      { status: ['completed'], q: 'report', category: 'work', dueBefore: '2021-01-01T00:00:00Z' }],
  ];

  it.each(cases)('%s', async (_name, query, filter) => {
    const expected = seeds.filter((seed) => matches(seed, filter)).map((seed) => idOf.get(seed)!);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seeds.length);
    const response = await call(lister, 'GET', `/tasks?${query()}&limit=100&includeTotal=true`);
    expect(response.statusCode).toBe(200);
    expect(response.json().items.map((item: TaskBody) => item.id).sort()).toEqual(expected.sort());
    expect(response.json().total).toBe(expected.length);
  });

  it('pages on with the repeated form from a cursor the comma-separated form gave (the same list)', async () => {
    const first = (await call(lister, 'GET', '/tasks?status=pending,in_progress&limit=2')).json();
    expect(first.nextCursor).toEqual(expect.any(String));
    const next = await call(lister, 'GET', `/tasks?status=pending&status=in_progress&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(next.statusCode).toBe(200);
    expect(next.json().items).toHaveLength(2);
  });

  it('lists the same representation GET /tasks/{id} answers', async () => {
    const [listed] = (await call(lister, 'GET', '/tasks?q=milk')).json().items;
    expect(listed).toEqual((await call(lister, 'GET', `/tasks/${listed.id}`)).json());
  });

  it('q does not match text that spans the end of the title and the start of the description', async () => {
    // "Buy milk" + "from the shop": "milk from" is a substring of neither field.
    expect((await call(lister, 'GET', '/tasks?q=milk%20from')).json().items).toEqual([]);
  });

  it.each([
    ['limit=0', ['limit']], ['limit=101', ['limit']], ['limit=abc', ['limit']], ['limit=1.5', ['limit']],
    ['sort=bogus', ['sort']], ['sort=--title', ['sort']], ['status=done', ['status']], ['priority=urgent', ['priority']],
    ['status=pending&status=done', ['status']], ['priority=high&priority=urgent,low', ['priority']], ['status=pending&status=', ['status']],
    ['categoryId=abc', ['categoryId']], ['dueBefore=2026-12-01T10:00:00', ['dueBefore']], ['dueAfter=2026-13-01T10:00:00Z', ['dueAfter']],
    ['overdue=yes', ['overdue']], ['includeTotal=yes', ['includeTotal']], [`q=${'q'.repeat(201)}`, ['q']], ['foo=1', ['foo']],
  ])('refuses %s with 400 naming the parameter', async (query, fields) => {
    expectProblem(await call(lister, 'GET', `/tasks?${query}`), 400, fields);
  });
});

it('pages by title through titles of astral characters (150 emoji is a valid 150-character title)', async () => {
  const account = await registerAndLogin(app);
  const ids = [];
  for (const emoji of ['😀', '😁', '😂']) {
    ids.push((await createTask(call, account, { title: emoji.repeat(150) })).id);
  }
  expect((await pageThrough(account, 'sort=title', 1)).map((item) => item.id)).toEqual(ids);
});
