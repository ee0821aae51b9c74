import { registerAndLogin, type TestAccount } from './support/accounts.js';
import { apiTest } from './support/api-test.js';
import { changesPage } from './support/change-feed.js';
import { createTask, expectProblem, MISSING_ID, sql } from './support/tasks-fixtures.js';

const api = apiTest();
let owner: TestAccount;

beforeEach(async () => {
  owner = await registerAndLogin(api.app);
});

const DAY = 86_400_000;
/** 09:00 in Paris the day before the spring DST change (CET, UTC+1). */
const PARIS_NINE_BEFORE_SPRING = '2027-03-27T08:00:00.000Z';

const recurring = (rule: string, dueDate: string, extra: object = {}) =>
  createTask(api.call, owner, { title: `Every ${rule}`, dueDate, recurrence: { rule, timeZone: 'Europe/Paris', ...extra } });
const toggle = (task: { id: string }, query = '', headers: Record<string, string> = {}) =>
  api.call(owner, 'POST', `/tasks/${task.id}/toggle${query}`, { headers });
const occurrences = async (task: { id: string }, query = '') => (await api.call(owner, 'GET', `/tasks/${task.id}/occurrences${query}`)).json();
const upcoming = async (task: { id: string }, count: number) =>
  ((await api.call(owner, 'GET', `/tasks/${task.id}/upcoming?count=${count}`)).json().items as Array<{ dueDate: string }>).map((item) => item.dueDate);
const occurrenceRows = (task: { id: string }) => sql<{ due_date: Date }>(api.app, 'select due_date from task_occurrences where task_id = ? order by due_date', [task.id]);

describe('recurring tasks', () => {
  it('completing one records the occurrence and moves it to the next due date, still 09:00 in Paris across the DST change', async () => {
    const task = await recurring('FREQ=DAILY', PARIS_NINE_BEFORE_SPRING);
    expect(task).toMatchObject({ recurrence: { rule: 'FREQ=DAILY', timeZone: 'Europe/Paris', repeatFrom: 'due', startsAt: PARIS_NINE_BEFORE_SPRING } });

    const toggled = await toggle(task);
    expect(toggled.statusCode).toBe(200);
    // 09:00 in Paris is 07:00 UTC once summer time starts (2027-03-28).
    expect(toggled.json()).toMatchObject({ status: 'pending', completedAt: null, dueDate: '2027-03-28T07:00:00.000Z', version: 2 });
    expect(toggled.json().recurrence).toEqual(task.recurrence);

    const history = await occurrences(task);
    expect(history.items).toEqual([{ id: expect.any(String), dueDate: PARIS_NINE_BEFORE_SPRING, completedAt: expect.any(String) }]);
    expect(history.nextCursor).toBeNull();

    const [entry] = (await api.call(owner, 'GET', `/tasks/${task.id}/activity?limit=1`)).json().items;
    expect(entry).toMatchObject({
      action: 'toggle',
      changes: {
        dueDate: { from: PARIS_NINE_BEFORE_SPRING, to: '2027-03-28T07:00:00.000Z' },
        occurrence: { from: null, to: { id: history.items[0].id, dueDate: PARIS_NINE_BEFORE_SPRING, completedAt: history.items[0].completedAt } },
      },
    });
  });

  it('completing through PATCH status does the same, from in_progress back to pending', async () => {
    const task = await recurring('FREQ=WEEKLY;BYDAY=MO', '2027-01-04T08:00:00Z');
    await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { status: 'in_progress' } });
    const completed = await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { status: 'completed' } });
    expect(completed.json()).toMatchObject({ status: 'pending', completedAt: null, dueDate: '2027-01-11T08:00:00.000Z' });
    expect(await occurrenceRows(task)).toHaveLength(1);
  });

  it('past the end of the rule (COUNT) the task simply stays completed', async () => {
    const task = await recurring('FREQ=DAILY;COUNT=2', '2027-01-04T08:00:00Z');
    expect((await toggle(task)).json()).toMatchObject({ status: 'pending', dueDate: '2027-01-05T08:00:00.000Z' });
    const last = (await toggle(task)).json();
    expect(last).toMatchObject({ status: 'completed', dueDate: '2027-01-05T08:00:00.000Z', completedAt: expect.any(String) });
    expect(await occurrenceRows(task)).toHaveLength(1);
    expect(await upcoming(task, 5)).toEqual([]);
  });

  it('follows RFC 5545 for the 31st of the month and the last Friday', async () => {
    const thirtyFirst = await recurring('FREQ=MONTHLY;BYMONTHDAY=31', '2027-01-31T08:00:00Z');
    expect(await upcoming(thirtyFirst, 4)).toEqual(['2027-01-31T08:00:00.000Z', '2027-03-31T07:00:00.000Z', '2027-05-31T07:00:00.000Z', '2027-07-31T07:00:00.000Z']);
    const lastFriday = await recurring('FREQ=MONTHLY;BYDAY=-1FR', '2027-01-29T17:00:00Z');
    expect(await upcoming(lastFriday, 3)).toEqual(['2027-01-29T17:00:00.000Z', '2027-02-26T17:00:00.000Z', '2027-03-26T17:00:00.000Z']);
    // upcoming changes nothing.
    expect((await api.call(owner, 'GET', `/tasks/${lastFriday.id}`)).json().version).toBe(1);
  });

  it('skipMissed=true jumps past occurrences already in the past; repeatFrom completion counts from the completion', async () => {
    const late = await recurring('FREQ=DAILY', '2020-01-01T08:00:00Z');
    expect((await toggle(late)).json().dueDate).toBe('2020-01-02T08:00:00.000Z');
    const skipped = (await toggle(late, '?skipMissed=true')).json();
    expect(Date.parse(skipped.dueDate)).toBeGreaterThan(Date.now());
    expect(Date.parse(skipped.dueDate)).toBeLessThanOrEqual(Date.now() + DAY);

    const fromCompletion = await recurring('FREQ=DAILY', '2020-01-01T08:00:00Z', { repeatFrom: 'completion' });
    const next = (await toggle(fromCompletion)).json();
    expect(Date.parse(next.dueDate)).toBeGreaterThan(Date.now());
    expect(Date.parse(next.dueDate)).toBeLessThanOrEqual(Date.now() + DAY);

    expectProblem(await toggle(late, '?skipMissed=maybe'), 400, ['skipMissed']);
  });

  it('changing the due date of one occurrence keeps the rule; null stops the recurrence', async () => {
    const task = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    const moved = (await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { dueDate: '2027-01-04T15:00:00Z' } })).json();
    expect(moved.recurrence).toEqual(task.recurrence);
    // The series keeps the start's wall-clock time: the next one is at 09:00 again.
    expect((await toggle(task)).json().dueDate).toBe('2027-01-05T08:00:00.000Z');

    const stopped = (await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { recurrence: null } })).json();
    expect(stopped.recurrence).toBeNull();
    expect((await toggle(task)).json()).toMatchObject({ status: 'completed', dueDate: '2027-01-05T08:00:00.000Z' });
  });

  it('a PATCH that sends back the same recurrence changes nothing', async () => {
    const task = await recurring('freq=weekly;byday=mo,we', '2027-01-04T08:00:00Z');
    expect(task.recurrence).toMatchObject({ rule: 'FREQ=WEEKLY;BYDAY=MO,WE' });
    const same = await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { recurrence: task.recurrence } });
    expect(same.json().version).toBe(1);
  });

  it('refuses bad rules, zones and a recurrence without a due date, naming the field and writing nothing', async () => {
    const create = (payload: object) => api.call(owner, 'POST', '/tasks', { payload: { title: 'Bad', dueDate: '2027-01-04T08:00:00Z', ...payload } });
    expectProblem(await create({ recurrence: { rule: 'FREQ=HOURLY', timeZone: 'Europe/Paris' } }), 400, ['recurrence.rule']);
    expectProblem(await create({ recurrence: { rule: 'FREQ=DAILY;BYMONTHDAY=32', timeZone: 'Europe/Paris' } }), 400, ['recurrence.rule']);
    expectProblem(await create({ recurrence: { rule: 'FREQ=DAILY', timeZone: 'Mars/Olympus' } }), 400, ['recurrence.timeZone']);
    expectProblem(await create({ recurrence: { rule: 'FREQ=DAILY', timeZone: 'UTC', repeatFrom: 'start' } }), 400, ['recurrence.repeatFrom']);
    expectProblem(await create({ recurrence: { rule: 'FREQ=DAILY', timeZone: 'UTC', extra: 1 } }), 400, ['recurrence.extra']);
    expectProblem(await create({ recurrence: 'FREQ=DAILY' }), 400, ['recurrence']);
    expectProblem(await create({ dueDate: null, recurrence: { rule: 'FREQ=DAILY', timeZone: 'UTC' } }), 400, ['dueDate']);
    expect(await sql(api.app, 'select 1 from tasks where user_id = ?', [owner.id])).toEqual([]);

    const task = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    expectProblem(await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { dueDate: null } }), 400, ['dueDate']);
    expectProblem(await api.call(owner, 'PATCH', `/tasks/${task.id}`, { payload: { recurrence: { rule: 'FREQ=SECONDLY', timeZone: 'UTC' } } }), 400, ['recurrence.rule']);
    expect((await api.call(owner, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ version: 1, dueDate: '2027-01-04T08:00:00.000Z', recurrence: task.recurrence });
  });

  it('pages occurrences newest first and refuses bad cursors, counts and other people\'s tasks', async () => {
    const task = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    for (let i = 0; i < 3; i++) {
      expect((await toggle(task)).statusCode).toBe(200);
    }
    const first = await occurrences(task, '?limit=2');
    expect(first.items.map((item: { dueDate: string }) => item.dueDate)).toEqual(['2027-01-06T08:00:00.000Z', '2027-01-05T08:00:00.000Z']);
    const second = await occurrences(task, `?limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ dueDate: '2027-01-04T08:00:00.000Z' })], nextCursor: null });

    expectProblem(await api.call(owner, 'GET', `/tasks/${task.id}/occurrences?cursor=garbage`), 400, ['cursor']);
    const other = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    expectProblem(await api.call(owner, 'GET', `/tasks/${other.id}/occurrences?cursor=${first.nextCursor}`), 400, ['cursor']);
    expectProblem(await api.call(owner, 'GET', `/tasks/${task.id}/upcoming?count=51`), 400, ['count']);
    expectProblem(await api.call(owner, 'GET', `/tasks/${task.id}/upcoming?count=0`), 400, ['count']);

    const stranger = await registerAndLogin(api.app);
    expectProblem(await api.call(stranger, 'GET', `/tasks/${task.id}/occurrences`), 404);
    expectProblem(await api.call(stranger, 'GET', `/tasks/${task.id}/upcoming`), 404);
    expectProblem(await api.call(owner, 'GET', `/tasks/${MISSING_ID}/occurrences`), 404);
  });

  it('concurrent completions with one If-Match: one wins and one occurrence is recorded', async () => {
    const task = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    const answers = await Promise.all(Array.from({ length: 6 }, () => toggle(task, '', { 'if-match': `"${task.id}.1"` })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    expect(await occurrenceRows(task)).toHaveLength(1);
  });

  it('concurrent completions without If-Match each advance once, never recording one due date twice', async () => {
    const task = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    // Three at once: each loses at most two races, within the writer's three attempts.
    const answers = await Promise.all(Array.from({ length: 3 }, () => toggle(task)));
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
    const rows = await occurrenceRows(task);
    expect(rows.map((row) => new Date(row.due_date).toISOString())).toEqual(['2027-01-04T08:00:00.000Z', '2027-01-05T08:00:00.000Z', '2027-01-06T08:00:00.000Z']);
    expect((await api.call(owner, 'GET', `/tasks/${task.id}`)).json()).toMatchObject({ dueDate: '2027-01-07T08:00:00.000Z', version: 4 });
  });

  it('a batch and the change feed carry recurrence, occurrences and subtasks as the single routes do', async () => {
    const start = await changesPage(api.call, owner);
    const parent = await recurring('FREQ=DAILY', '2027-01-04T08:00:00Z');
    const response = await api.call(owner, 'POST', '/tasks/batch', {
      payload: { operations: [{ op: 'create', body: { title: 'Step', parentId: parent.id, labels: ['Daily'] } }, { op: 'toggle', id: parent.id }] },
    });
    const { results } = response.json();
    expect(results.map((result: { status: number }) => result.status)).toEqual([201, 200]);
    expect(results[0].body).toMatchObject({ parentId: parent.id, labels: ['Daily'] });
    expect(results[1].body).toMatchObject({ status: 'pending', dueDate: '2027-01-05T08:00:00.000Z', subtasks: { total: 1, completed: 0 } });
    expect(await occurrenceRows(parent)).toHaveLength(1);

    const feed = await changesPage(api.call, owner, start.cursor);
    expect(feed.changes.find((change) => change.entityId === parent.id)?.data).toEqual((await api.call(owner, 'GET', `/tasks/${parent.id}`)).json());
  });
});
