import { isDeepStrictEqual } from 'node:util';
import type { RequestSpec, RequestStream, Route } from './requests.js';
import { send, type Reply } from './requests.js';
import { PAGE_SIZE, RECURRING_DUE_DATE, type Fixture } from './seed.js';

/**
 * Before anything is timed: the API and the baseline must answer the same requests with the same
 * status and JSON, or the comparison means nothing. Throws on the first difference.
 */
export async function verifyEquivalence(
  api: string,
  baseline: string,
  fixture: Fixture,
  streams: Record<Route, RequestStream>,
): Promise<string[]> {
  const checks: string[] = [];
  const both = async (spec: RequestSpec) => [await send(api, spec), await send(baseline, spec)] as const;
  const sample = [0, Math.floor(fixture.users.length / 2), fixture.users.length - 1];

  // Reads: deep-equal bodies (and ETags for one task).
  for (const [label, spec] of [
    ...sample.map((i) => [`GET list, user ${i}`, streams.list(i)] as const),
    ['GET list, heavy user, first page', streams.firstPage(0)] as const,
    [`GET list, heavy user, ${fixture.deepRows} rows deep`, streams.deepPage(0)] as const,
    ...sample.map((i) => [`GET one, user ${i}'s task`, streams.get(i)] as const),
    // sharedList(0) is the member's first page, sharedList(i) the page after sharedRows[i - 1] rows.
    ...[0, ...fixture.member.sharedRows.map((_, i) => i + 1)].map((i) =>
      [`GET list scope=all, sharing member, ${i ? `${fixture.member.sharedRows[i - 1]} rows deep` : 'first page'}`, streams.sharedList(i)] as const),
    ["GET one, the sharing member's task in a category shared with them", { ...streams.sharedList(0), path: `/api/v1/tasks/${fixture.member.sharedTaskId}` }] as const,
  ]) {
    const [a, b] = await both(spec);
    expectSame(label, a, b, 200);
    if (a.headers.get('etag') !== b.headers.get('etag')) {
      throw new Error(`${label}: ETag ${a.headers.get('etag')} (API) vs ${b.headers.get('etag')} (baseline)`);
    }
    checks.push(`${label}: identical`);
  }
  const firstPage = (await send(api, streams.firstPage(0))).body as { nextCursor: string };
  if (firstPage.nextCursor !== fixture.page2Cursor) {
    throw new Error('the cursor built from SQL (bench/seed.ts) is not the one the API issues: src/common/keyset-cursor.ts changed?');
  }
  checks.push('cursor built from SQL = nextCursor the API issues');
  const memberItems = ((await send(api, streams.sharedList(0))).body as { items: Array<{ categoryId: string | null }> }).items;
  if (!memberItems.some((task) => task.categoryId !== fixture.member.categoryId && task.categoryId !== null)) {
    throw new Error('GET list scope=all of the sharing member: no task of a shared category on the first page (bench/seed.ts)');
  }
  const { nextCursor } = (await send(api, streams.sharedList(0))).body as { nextCursor: string };
  const afterFirstPage = fixture.member.sharedRows.indexOf(PAGE_SIZE);
  if (afterFirstPage >= 0 && nextCursor !== fixture.member.sharedCursors[afterFirstPage]) {
    throw new Error("the sharing member's cursor built from SQL (bench/seed.ts) is not the one the API issues");
  }
  checks.push("GET list scope=all of the sharing member: shared categories' tasks on the first page; cursor built from SQL = nextCursor the API issues");

  // Writes: the same POST, then the same PATCH of each side's new task, ids and times masked.
  const [createdA, createdB] = await both(streams.create(0));
  expectSame('POST /tasks', masked(createdA), masked(createdB), 201);
  for (const reply of [createdA, createdB]) {
    const id = (reply.body as { id: string }).id;
    if (reply.headers.get('location') !== `/api/v1/tasks/${id}` || reply.headers.get('etag') !== `"${id}.1"`) {
      throw new Error(`POST /tasks: Location ${reply.headers.get('location')}, ETag ${reply.headers.get('etag')} for ${id}`);
    }
  }
  checks.push('POST /tasks: same status, Location, ETag and body (id and timestamps masked)');
  const ids = [createdA, createdB].map((reply) => (reply.body as { id: string }).id);
  // update(2) completes the task (completedAt is set); sent as the creator, user 0.
  const patch = (id: string): RequestSpec => ({ ...streams.update(2), headers: streams.create(0).headers, path: `/api/v1/tasks/${id}` });
  const patchedA = await send(api, patch(ids[0]));
  const patchedB = await send(baseline, patch(ids[1]));
  expectSame('PATCH /tasks/{id}', masked(patchedA), masked(patchedB), 200);
  checks.push('PATCH /tasks/{id}: same status and body (id and timestamps masked)');

  // Each side reads what the other wrote exactly as its writer answered.
  const readBack = async (label: string, ids: string[], answers: Reply[]) => {
    for (const [i, written] of answers.entries()) {
      const [a, b] = await both({ ...streams.get(0), path: `/api/v1/tasks/${ids[i]}` });
      expectSame(`GET the task ${i ? 'the baseline' : 'the API'} ${label}`, a, b, 200);
      expectSame(`GET the task ${i ? 'the baseline' : 'the API'} ${label}, vs its answer`, a, written, 200);
    }
  };
  await readBack('patched', ids, [patchedA, patchedB]);
  checks.push('GET of each patched task: identical on both sides, and equal to its PATCH answer');

  // Trash: each side trashes its own task, both sides then miss both; each side restores the
  // task the other trashed, and both read the restored tasks alike.
  const on = (stream: RequestStream, id: string): RequestSpec => ({ ...stream(0), path: stream(0).path.replace(fixture.users[0].taskId, id) });
  const trashedA = await send(api, on(streams.trash, ids[0]));
  const trashedB = await send(baseline, on(streams.trash, ids[1]));
  expectSame('DELETE /tasks/{id}', trashedA, trashedB, 204);
  for (const id of ids) {
    const [a, b] = await both({ ...streams.get(0), path: `/api/v1/tasks/${id}` });
    if (a.status !== 404 || b.status !== 404) {
      throw new Error(`GET of a trashed task: ${a.status} (API) / ${b.status} (baseline), expected 404 on both`);
    }
  }
  checks.push('DELETE /tasks/{id}: 204 without a body on both sides; both sides then answer 404 for both tasks');
  const restoredB = await send(api, on(streams.restore, ids[1]));
  const restoredA = await send(baseline, on(streams.restore, ids[0]));
  expectSame('POST /tasks/{id}/restore', masked(restoredA), masked(restoredB), 200);
  for (const [i, reply] of [restoredA, restoredB].entries()) {
    if (reply.headers.get('etag') !== `"${ids[i]}.4"`) {
      throw new Error(`POST /tasks/{id}/restore: ETag ${reply.headers.get('etag')} for ${ids[i]} at version 4`);
    }
  }
  checks.push("POST /tasks/{id}/restore of the task the other side trashed: same status, ETag and body (ids and timestamps masked)");
  await readBack('restored', ids, [restoredA, restoredB]);
  checks.push('GET of each restored task: identical on both sides, and equal to its restore answer');

  // The activity entries each side wrote (create, update, delete; the restore by the other side),
  // read through the API's activity log: the same actions and changes, ids and times masked.
  const activityOf = async (id: string) => {
    const reply = await send(api, { ...streams.get(0), path: `/api/v1/tasks/${id}/activity` });
    if (reply.status !== 200) throw new Error(`GET /tasks/{id}/activity answered ${reply.status}`);
    return reply;
  };
  const [logA, logB] = [await activityOf(ids[0]), await activityOf(ids[1])];
  expectSame('GET /tasks/{id}/activity', masked(logA), masked(logB), 200);
  const actions = (logA.body as { items: Array<{ action: string }> }).items.map((entry) => entry.action).join(', ');
  if (actions !== 'restore, delete, update, create') {
    throw new Error(`GET /tasks/{id}/activity: entries ${actions}, expected restore, delete, update, create`);
  }
  checks.push('activity of each task (create, update, delete by its writer, restore by the other side): same entries and changes (ids and timestamps masked)');

  // A recurring task: each side completes its user's daily task (both due on the same day), which
  // moves it to the next day; the answers and the activity entries (with the occurrence) match.
  // Two users (two tasks due alike): their own names are the one difference to leave out.
  const anyUser = (reply: Reply): Reply => ({
    ...reply,
    body: JSON.parse(JSON.stringify(reply.body).replace(/"bench_\d+"/g, '"bench_n"').replace(/"Bench User \d+"/g, '"Bench User n"')),
  });
  const toggledA = await send(api, streams.toggleRecurring(0));
  const toggledB = await send(baseline, streams.toggleRecurring(1));
  expectSame('POST /tasks/{id}/toggle of a recurring task', anyUser(masked(toggledA)), anyUser(masked(toggledB)), 200);
  if ((toggledA.body as { dueDate: string }).dueDate === RECURRING_DUE_DATE) {
    throw new Error('POST /tasks/{id}/toggle of a recurring task: the due date did not move on');
  }
  const recurringLog = (i: number) => send(api, { ...streams.toggleRecurring(i), method: 'GET', path: `/api/v1/tasks/${fixture.users[i].recurringTaskId}/activity?limit=1` });
  expectSame('GET /tasks/{id}/activity of the recurring tasks', anyUser(masked(await recurringLog(0))), anyUser(masked(await recurringLog(1))), 200);
  checks.push('POST /tasks/{id}/toggle of a recurring task: same status and body, the due date moved on; its activity entry (with the occurrence) the same on both sides');

  const login = await send(api, streams.login(0));
  if (login.status !== 200 || typeof (login.body as { accessToken?: unknown }).accessToken !== 'string') {
    throw new Error(`POST /auth/login answered ${login.status}: ${JSON.stringify(login.body)}`);
  }
  checks.push('POST /auth/login: 200 with an access token');
  return checks;
}

function expectSame(label: string, a: Reply, b: Reply, status: number): void {
  if (a.status !== status || b.status !== status) {
    throw new Error(`${label}: status ${a.status} (API) / ${b.status} (baseline), expected ${status}: ${JSON.stringify([a.body, b.body]).slice(0, 500)}`);
  }
  if (!isDeepStrictEqual(a.body, b.body)) {
    throw new Error(`${label}: bodies differ\n  API:      ${JSON.stringify(a.body).slice(0, 800)}\n  baseline: ${JSON.stringify(b.body).slice(0, 800)}`);
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SERIAL = /^\d+$/;
/** A fractional-indexing key: each side appends to the list the other also wrote to, so keys differ. */
const POSITION = /^[a-zA-Z][0-9a-zA-Z]*$/;

/** Keys whose values each side makes for itself: ids, server-made timestamps, list positions (in activity changes too). */
const MASKED_KEYS = new Set(['id', 'entityId', 'at', 'createdAt', 'updatedAt', 'completedAt', 'deletedAt', 'position']);

/** Ids and server-made timestamps replaced by their kind, at any depth: what is left must match exactly. */
function masked(reply: Reply): Reply {
  const mask = (value: unknown, masking: boolean): unknown => {
    if (Array.isArray(value)) return value.map((item) => mask(item, false));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, mask(item, MASKED_KEYS.has(key) || (masking && (key === 'from' || key === 'to')))]),
      );
    }
    if (masking && typeof value === 'string') {
      return UUID.test(value) ? '<uuid>' : ISO.test(value) ? '<timestamp>' : SERIAL.test(value) ? '<serial>' : POSITION.test(value) ? '<position>' : value;
    }
    return value;
  };
  return { ...reply, body: mask(reply.body, false) };
}
