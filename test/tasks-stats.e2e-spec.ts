import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { createTestApp, truncateAll } from './support/test-app.js';
import { apiClient, createTask, expectProblem, sql, type Call } from './support/tasks-fixtures.js';

let app: NestFastifyApplication;
let call: Call;
let serverErrors: string[];

beforeAll(async () => {
  app = await createTestApp();
  await truncateAll(app);
  ({ call, serverErrors } = apiClient(app));
});

afterAll(async () => {
  await app.close();
});

// Every case checks its own requests (emptied each time, so a 5xx is blamed on the case that saw
// it), and a case run alone with -t is still checked.
afterEach(() => {
  expect(serverErrors.splice(0)).toEqual([]);
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];

interface Seed { id?: string; status: 'pending' | 'in_progress' | 'completed'; priority: 'low' | 'medium' | 'high'; due: number | null; completedAt: number | null }

/** The calendar date of an instant in a zone, as YYYY-MM-DD. */
const localDate = (instant: number, zone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);

/** The instant the current day began in a zone. */
function startOfToday(now: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(now).map((part) => [part.type, Number(part.value)]),
  );
  const wallClock = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const offset = wallClock - Math.floor(now / 1000) * 1000;
  return Date.UTC(parts.year, parts.month - 1, parts.day) - offset;
}

function expectedStats(seeds: Seed[], now: number, zone: string) {
  const count = (predicate: (seed: Seed) => boolean) => seeds.filter(predicate).length;
  const open = (seed: Seed) => seed.status !== 'completed';
  return {
    total: seeds.length,
    byStatus: { pending: count((s) => s.status === 'pending'), in_progress: count((s) => s.status === 'in_progress'), completed: count((s) => s.status === 'completed') },
    byPriority: { low: count((s) => s.priority === 'low'), medium: count((s) => s.priority === 'medium'), high: count((s) => s.priority === 'high') },
    overdue: count((s) => open(s) && s.due !== null && s.due < now),
    dueToday: count((s) => open(s) && s.due !== null && localDate(s.due, zone) === localDate(now, zone)),
    completedLast7Days: count((s) => s.status === 'completed' && s.completedAt !== null && s.completedAt >= now - 7 * DAY),
  };
}

async function insertSeeds(account: TestAccount, seeds: Seed[]): Promise<void> {
  for (const seed of seeds) {
    const [row] = await sql<{ id: string }>(app,
      `insert into tasks (title, status, priority, due_date, completed_at, user_id) values (?, ?, ?, ?::timestamptz, ?::timestamptz, ?) returning id::text`,
      ['stat', seed.status, seed.priority, seed.due === null ? null : new Date(seed.due).toISOString(), seed.completedAt === null ? null : new Date(seed.completedAt).toISOString(), account.id]);
    seed.id = row.id;
  }
}

/** Stats in a zone against the JS expectation; retried if the clock crossed a boundary mid-request. */
async function expectStats(account: TestAccount, seeds: Seed[], zone: string | undefined) {
  for (let attempt = 0; ; attempt++) {
    const before = expectedStats(seeds, Date.now(), zone ?? 'UTC');
    const response = await call(account, 'GET', zone === undefined ? '/tasks/stats' : `/tasks/stats?tz=${encodeURIComponent(zone)}`);
    const after = expectedStats(seeds, Date.now(), zone ?? 'UTC');
    if (JSON.stringify(before) !== JSON.stringify(after) && attempt < 3) continue;
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(after);
    return after;
  }
}

describe('GET /tasks/stats', () => {
  let owner: TestAccount;
  const seeds: Seed[] = [];

  beforeAll(async () => {
    owner = await registerAndLogin(app);
    const now = Date.now();
    const statuses = ['pending', 'in_progress', 'completed'] as const;
    const priorities = ['low', 'medium', 'high', 'high'] as const;
    const completedAgo = [1 * HOUR, DAY, 6 * DAY + 23 * HOUR, 7 * DAY - HOUR, 7 * DAY + HOUR, 30 * DAY];
    const dueOffsets = [-50, -30, -20, -10, -5, -2, -1, 1, 2, 5, 9, 13, 17, 20, 23, 30, 50, null, null, 3, -3, 7, -7];
    dueOffsets.forEach((hours, index) => {
      const status = statuses[index % 3];
      seeds.push({
        status,
        priority: priorities[index % 4],
        due: hours === null ? null : now + hours * HOUR,
        completedAt: status === 'completed' ? now - completedAgo[Math.floor(index / 3) % completedAgo.length] : null,
      });
    });
    for (const zone of ZONES) {
      seeds.push({ status: 'pending', priority: 'medium', due: startOfToday(now, zone) + 10 * 60_000, completedAt: null });
    }
    await insertSeeds(owner, seeds);
    // Another user's tasks never count.
    const other = await registerAndLogin(app);
    await insertSeeds(other, seeds.map((seed) => ({ ...seed })));
  });

  it.each(ZONES)('counts by status, priority, overdue, due today in %s and completed in the last 7 days', async (zone) => {
    const stats = await expectStats(owner, seeds, zone);
    expect(stats.total).toBe(seeds.length);
    expect(stats.overdue).toBeGreaterThan(0);
    expect(stats.dueToday).toBeGreaterThan(0);
    expect(stats.completedLast7Days).toBeGreaterThan(0);
    expect(stats.completedLast7Days).toBeLessThan(stats.byStatus.completed);
  });

  it('decides "today" by the zone: Kiritimati and Pago Pago disagree', async () => {
    // Ten minutes into "today" in each zone: whichever day began last sees only its own task.
    const account = await registerAndLogin(app);
    const now = Date.now();
    const probes: Seed[] = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].map((zone) => ({
      status: 'pending', priority: 'medium', due: startOfToday(now, zone) + 10 * 60_000, completedAt: null,
    }));
    await insertSeeds(account, probes);
    const kiritimati = await expectStats(account, probes, 'Pacific/Kiritimati');
    const pagoPago = await expectStats(account, probes, 'Pacific/Pago_Pago');
    expect([kiritimati.dueToday, pagoPago.dueToday].sort()).toEqual([1, 2]);
  });

  it('uses UTC when tz is absent', async () => {
    await expectStats(owner, seeds, undefined);
  });

  it('follows writes made through the API', async () => {
    const overdueOpen = seeds.find((seed) => seed.status !== 'completed' && seed.due !== null && seed.due < Date.now() - HOUR)!;
    const toggled = await call(owner, 'POST', `/tasks/${overdueOpen.id}/toggle`);
    expect(toggled.statusCode).toBe(200);
    const previous = { ...overdueOpen };
    Object.assign(overdueOpen, { status: 'completed', completedAt: Date.parse(toggled.json().completedAt) });
    await expectStats(owner, seeds, 'Europe/Paris');

    const created = await createTask(call, owner, { title: 'New', priority: 'low', dueDate: new Date(Date.now() + 5 * 60_000).toISOString() });
    seeds.push({ id: created.id, status: 'pending', priority: 'low', due: Date.parse(created.dueDate!), completedAt: null });
    await expectStats(owner, seeds, 'UTC');

    expect((await call(owner, 'POST', `/tasks/${overdueOpen.id}/toggle`)).json().status).toBe('pending');
    Object.assign(overdueOpen, { status: 'pending', completedAt: null, priority: previous.priority });
    await expectStats(owner, seeds, 'Asia/Tokyo');
  });

  it('answers zeros for a user with no tasks', async () => {
    const empty = await registerAndLogin(app);
    const response = await call(empty, 'GET', '/tasks/stats?tz=Europe/Paris');
    expect(response.json()).toEqual({
      total: 0, byStatus: { pending: 0, in_progress: 0, completed: 0 }, byPriority: { low: 0, medium: 0, high: 0 }, overdue: 0, dueToday: 0, completedLast7Days: 0,
    });
  });

  it.each(['Mars/Base', '+02:00', 'UTC+2', '', 'Europe/Paris;drop', 'x'.repeat(65)])('refuses tz=%s with 400 naming tz', async (zone) => {
    expectProblem(await call(owner, 'GET', `/tasks/stats?tz=${encodeURIComponent(zone)}`), 400, ['tz']);
  });

  it('refuses unknown parameters and requires a bearer token', async () => {
    expectProblem(await call(owner, 'GET', '/tasks/stats?timezone=UTC'), 400, ['timezone']);
    expectProblem(await call(undefined, 'GET', '/tasks/stats'), 401);
  });
});
