/**
 * Child process: the baseline. Plain Fastify + `pg`, no framework and no ORM, answering the routes
 * the benchmark loads with the same statements the API sends (bench/baseline-sql.ts, written by
 * hand), the same transactions (every write and its activity entries commit together), the same
 * pool size (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW) and the same JSON and ETags. Its checks,
 * change detection, access rules (owner, or member of the task's category: a viewer reads, an
 * editor writes) and activity `changes` are hand-written too; only the cursor encoding is the
 * app's (src/common/keyset-cursor.ts), so that cursors pass from one server to the other. It does
 * not serve what the benchmark never sends: assignees, filters, and a PATCH that would hand a task
 * to another owner.
 */
import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { generateKeyBetween } from 'fractional-indexing';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { ActivityAction } from '../src/activity/activity.entity.js';
import { LAST_USED_REFRESH_SECONDS } from '../src/auth/session.repository.js';
import { requestFingerprint } from '../src/idempotency/idempotency-key.js';
import { eventTypeOf } from '../src/webhooks/webhook-events.js';
import { nextOccurrence, type Recurrence as RuleRecurrence } from '../src/tasks/recurrence/recurrence-rule.js';
import { MAX_OCCURRENCES_PER_TASK } from '../src/tasks/recurrence/task-occurrences.js';
import { decodeCursor, encodeCursor, isCursorTimestamp, listFingerprint } from '../src/common/keyset-cursor.js';
import {
  APPEND_ACTIVITY, CATEGORY_BY_ID, CATEGORY_MEMBERS, CATEGORY_PEOPLE, MEMBERSHIPS, mergedPage,
  ENQUEUE_WEBHOOK_MESSAGES, IDEMPOTENCY_FIND, IDEMPOTENCY_LOCK, IDEMPOTENCY_STORE,
  FIRST_PAGE, INSERT_OCCURRENCE, INSERT_TASK, LAST_POSITION_IN_CATEGORY, PRUNE_OCCURRENCES, RESTORE_DESCENDANTS, LAST_POSITION_OF_OWNER, LIVE_TASK, LOCK_OWNER, NEXT_PAGE,
  SESSION_LOOKUP, SESSION_TOUCH, TRASHED_TASK, updateIfVersion, WRITABLE_COLUMNS, type WritableColumn,
} from './baseline-sql.js';
import { serveUntilDisconnected } from './child.js';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DATABASE_POOL_SIZE ?? 10) + Number(env.DATABASE_MAX_OVERFLOW ?? 20),
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 15_000,
});
const IDLE_TIMEOUT_SECONDS = 30 * 60; // SESSION_IDLE_TIMEOUT's default, as the app runs with it
const MAX_TASKS_PER_USER = Number(env.MAX_TASKS_PER_USER ?? 10_000); // the app's default quota
const MAX_WRITE_ATTEMPTS = 3; // TaskWriter's
const LIST_FINGERPRINT = listFingerprint({ sort: '-createdAt', scope: 'all' }); // no filters, default scope: the one the app makes

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer +([A-Za-z0-9_-]{20,128}) *$/i;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const STATUSES = ['pending', 'in_progress', 'completed'];
const PRIORITIES = ['low', 'medium', 'high'];

/** A task's recurrence as stored (jsonb) and answered: the benchmark's tasks have none. */
interface Recurrence { rule: string; timeZone: string; repeatFrom: string; startsAt: string }
/** A task's live subtasks, as the reads count them. */
interface Subtasks { total: number; completed: number }
/** How a person appears on a task (creator, assignee): the users row's id, username and name. */
interface Person { id: string; username: string; name: string }
/** A task as the write path works on it: column names, timestamps as Dates, people as summaries. */
interface TaskRow {
  id: string; user_id: string; title: string; description: string | null; status: string; priority: string;
  due_date: Date | null; labels: string[]; position: string; recurrence: Recurrence | null; completed_at: Date | null; category_id: string | null;
  parent_id: string | null; subtasks: Subtasks;
  created_by: Person | null; assignee: Person | null;
  created_at: Date; updated_at: Date; version: number; deleted_at: Date | null;
}
/** A task as the API's reads select it: property names, timestamps already ISO text, people as JSON, the caller's role. */
interface TaskView {
  id: string; user: string; title: string; description: string | null; status: string; priority: string;
  dueDate: string | null; labels: string[]; position: string; recurrence: Recurrence | null; completedAt: string | null; category: string | null;
  parent: string | null; subtasks: Subtasks;
  createdBy: Person | null; assignee: Person | null;
  createdAt: string; updatedAt: string; version: number; deletedAt: string | null;
  memberRole?: 'editor' | 'viewer' | null;
}
type PageRow = TaskView & { cursor_value: string };
const date = (text: string | null) => (text === null ? null : new Date(text));
/** The view as the write path works on it (dates, column names). */
const rowOf = (t: TaskView): TaskRow => ({
  id: t.id, user_id: t.user, title: t.title, description: t.description, status: t.status, priority: t.priority,
  due_date: date(t.dueDate), labels: t.labels, position: t.position, recurrence: t.recurrence, completed_at: date(t.completedAt), category_id: t.category,
  parent_id: t.parent, subtasks: t.subtasks,
  created_by: t.createdBy, assignee: t.assignee, created_at: new Date(t.createdAt), updated_at: new Date(t.updatedAt), version: t.version, deleted_at: date(t.deletedAt),
});
type TaskResponse = ReturnType<typeof toResponse>;
type ColumnValues = Partial<Pick<TaskRow, WritableColumn>>;
interface TaskInput { title?: string; description?: string | null; status?: string; priority?: string; dueDate?: string | null; categoryId?: string | null }

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** RecurrenceResponse.from: the stored jsonb (keys in jsonb's order) answered in the API's order. */
const recurrenceOf = (r: Recurrence | null) =>
  r === null ? null : { rule: r.rule, timeZone: r.timeZone, repeatFrom: r.repeatFrom, startsAt: new Date(r.startsAt).toISOString() };
const iso = (instant: Date | null) => (instant === null ? null : instant.toISOString());
const toResponse = (t: TaskRow) => ({
  id: t.id, title: t.title, description: t.description, status: t.status, priority: t.priority,
  dueDate: iso(t.due_date), completedAt: iso(t.completed_at), labels: t.labels, position: t.position, recurrence: recurrenceOf(t.recurrence), categoryId: t.category_id,
  parentId: t.parent_id, subtasks: { total: t.subtasks.total, completed: t.subtasks.completed },
  createdBy: t.created_by, assignee: t.assignee, createdAt: t.created_at.toISOString(), updatedAt: t.updated_at.toISOString(), version: t.version,
  deletedAt: iso(t.deleted_at),
});
const viewToResponse = (t: TaskView): TaskResponse => ({
  id: t.id, title: t.title, description: t.description, status: t.status, priority: t.priority,
  dueDate: t.dueDate, completedAt: t.completedAt, labels: t.labels, position: t.position, recurrence: recurrenceOf(t.recurrence), categoryId: t.category,
  parentId: t.parent, subtasks: { total: t.subtasks.total, completed: t.subtasks.completed },
  createdBy: t.createdBy, assignee: t.assignee, createdAt: t.createdAt, updatedAt: t.updatedAt, version: t.version, deletedAt: t.deletedAt,
});
const withEtag = (reply: FastifyReply, task: TaskResponse) => {
  void reply.header('ETag', `"${task.id}.${task.version}"`);
  return task;
};

/**
 * The activity entry's `changes`: each response field that differs, as {from, to}; id, version,
 * the timestamps every write moves and the creator (the entry's actor) are left out; people
 * compare by id.
 */
const TRACKED_FIELDS = ['title', 'description', 'status', 'priority', 'dueDate', 'completedAt', 'labels', 'position', 'recurrence', 'categoryId', 'parentId', 'assignee', 'deletedAt'] as const;
/** An empty list counts as nothing, as in the API (a creation records no empty labels). */
const listText = (value: unknown) => (Array.isArray(value) && value.length > 0 ? JSON.stringify(value) : null);
const sameValue = (a: unknown, b: unknown) =>
  Array.isArray(a) || Array.isArray(b) ? listText(a) === listText(b)
  : a !== null && typeof a === 'object' && b !== null && typeof b === 'object' ? (a as Person).id === (b as Person).id : a === b;
function fieldChanges(before: TaskResponse | null, after: TaskResponse): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of TRACKED_FIELDS) {
    const from = before?.[field] ?? null;
    if (!sameValue(from, after[field])) changes[field] = { from, to: after[field] };
  }
  return changes;
}

const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) => (await pool.query<T>(sql, params)).rows;

/** BEGIN ... COMMIT on one connection; ROLLBACK when the work throws. */
async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The entry in the stream of everyone in the audience (sorted, each once, as ActivityService.record
 * locks them) and its webhook messages, inside the write's transaction; the caller is the actor.
 */
async function recordActivity(client: pg.PoolClient, request: FastifyRequest, audience: string[], actorId: string, taskId: string, action: string, changes: object) {
  const entries = [{ entityType: 'task', entityId: taskId, action, changes }];
  for (const ownerId of [...new Set(audience)].sort()) {
    const { rows } = await client.query<{ seq: string }>(APPEND_ACTIVITY, [ownerId, entries.length, String(request.id), JSON.stringify(entries), actorId]);
    const events = rows.map(({ seq }) => ({ seq, type: eventTypeOf({ entityType: 'task', action: action as ActivityAction }), entityType: 'task', entityId: taskId }));
    await client.query(ENQUEUE_WEBHOOK_MESSAGES, [JSON.stringify(events), ownerId]);
  }
}

/** On the transaction's connection when there is one (an idempotent request), else on the pool. */
const on = async <T extends pg.QueryResultRow>(client: pg.PoolClient | undefined, sql: string, params: unknown[]) =>
  client ? (await client.query<T>(sql, params)).rows : query<T>(sql, params);

/** CategoryAccessService.memberIds. */
const memberIds = async (categoryId: string, client?: pg.PoolClient) =>
  (await on<{ user_id: string }>(client, CATEGORY_MEMBERS, [categoryId])).map((row) => row.user_id);

/** TaskAccess.audience: the task's owner, and its category's members. */
const audienceOf = async (task: Pick<TaskRow, 'user_id' | 'category_id'>, client?: pg.PoolClient) =>
  (task.category_id === null ? [task.user_id] : [task.user_id, ...(await memberIds(task.category_id, client))]);

/** CategoryAccessService.people: the category's owner, then its members with their roles; undefined when it does not exist. */
async function peopleOf(categoryId: string, client?: pg.PoolClient): Promise<{ owner: string; roles: Map<string, string> } | undefined> {
  const [category] = await on<{ user_id: string }>(client, CATEGORY_BY_ID, [categoryId]);
  if (!category) return undefined;
  const members = await on<{ user_id: string; role: string }>(client, CATEGORY_PEOPLE, [categoryId]);
  return { owner: category.user_id, roles: new Map(members.map((member) => [member.user_id, member.role])) };
}

/**
 * TaskAccess.place: a category the task moves into (or is created in) must be the caller's or one
 * they edit (its owner becomes the task's); its people, read once, also give who sees the task.
 * The baseline takes no assignees, so a PATCH that does not move the task reads nothing.
 */
async function place(userId: string, values: ColumnValues, current?: TaskRow, client?: pg.PoolClient): Promise<{ owner: string; audience?: string[] }> {
  const moving = values.category_id !== undefined && values.category_id !== (current?.category_id ?? null);
  const category = moving ? values.category_id! : (current?.category_id ?? null);
  const people = category !== null && (moving || !current) ? await peopleOf(category, client) : undefined;
  let owner = current ? current.user_id : userId;
  if (moving) {
    if (values.category_id === null) {
      owner = current ? (current.created_by?.id ?? current.user_id) : userId;
    } else {
      const role = !people ? null : people.owner === userId ? 'owner' : (people.roles.get(userId) ?? null);
      if (role === null) throw new HttpError(400, 'categoryId must be one of your categories or one shared with you');
      if (role === 'viewer') throw new HttpError(403, 'Only a category editor can file tasks in it.');
      owner = people!.owner;
    }
  }
  return { owner, audience: category === null ? [owner] : people && [people.owner, ...people.roles.keys()] };
}

async function authenticate(request: FastifyRequest): Promise<string> {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  const hash = token && createHash('sha256').update(token, 'utf8').digest('hex');
  const [session] = hash ? await query<{ id: string; user_id: string; stale: boolean }>(SESSION_LOOKUP, [LAST_USED_REFRESH_SECONDS, hash, IDLE_TIMEOUT_SECONDS]) : [];
  if (!session) throw new HttpError(401, 'unauthenticated');
  if (session.stale) await query(SESSION_TOUCH, [session.id]);
  return session.user_id;
}

function taskIdOf(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  if (!UUID.test(id)) throw new HttpError(400, 'id must be a UUID');
  return id;
}

/** Checks the body the way the DTOs would (minimally); where the task may go is place's. */
function columnValues(input: TaskInput): ColumnValues {
  if (typeof input !== 'object' || input === null) throw new HttpError(400, 'body must be an object');
  const title = typeof input.title === 'string' ? input.title.trim() : input.title;
  if (title !== undefined && (typeof title !== 'string' || title.length < 1 || title.length > 200)) throw new HttpError(400, 'title');
  if (input.status !== undefined && !STATUSES.includes(input.status)) throw new HttpError(400, 'status');
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) throw new HttpError(400, 'priority');
  const categoryId = input.categoryId?.toLowerCase() ?? input.categoryId;
  if (categoryId && !UUID.test(categoryId)) throw new HttpError(400, 'categoryId');
  return {
    title, description: input.description, status: input.status, priority: input.priority, category_id: categoryId,
    due_date: input.dueDate === undefined ? undefined : input.dueDate === null ? null : new Date(input.dueDate),
  };
}

const comparable = (value: unknown) => (value instanceof Date ? value.getTime() : value);

/**
 * TaskWriter.apply by hand: read the task (the caller must own it or edit its category), work out
 * what changes (nothing: answer it unchanged, no transaction), read who sees it, then UPDATE with
 * the version in the WHERE clause and the activity entries in one transaction; a lost race
 * re-reads, up to 3 attempts.
 */
async function writeTask(
  request: FastifyRequest,
  action: 'update' | 'delete' | 'restore',
  change: (current: TaskRow, userId: string) => Promise<ColumnValues>,
): Promise<TaskResponse> {
  const userId = await authenticate(request);
  const taskId = taskIdOf(request);
  for (let attempt = 1; ; attempt++) {
    const [view] = await query<TaskView>(action === 'restore' ? TRASHED_TASK : LIVE_TASK, [taskId, userId]);
    if (!view) throw new HttpError(404, 'No such task.');
    if (view.user !== userId && view.memberRole !== 'editor') throw new HttpError(403, 'Only a category editor can change its tasks.');
    const current = rowOf(view);
    const wanted = await change(current, userId);
    const columns = WRITABLE_COLUMNS.filter((column) => wanted[column] !== undefined && comparable(wanted[column]) !== comparable(current[column]));
    if (columns.length === 0) return toResponse(current);
    const moved = columns.includes('category_id');
    const now = new Date();
    const values: ColumnValues = Object.fromEntries(columns.map((column) => [column, wanted[column]]));
    if (values.status !== undefined) {
      values.completed_at = values.status === 'completed' ? now : null;
      if (!columns.includes('completed_at')) columns.push('completed_at');
    }
    const updated = toResponse({ ...current, ...values, updated_at: now, version: current.version + 1 });
    // Everyone who saw it before the write, and after a move between categories everyone who sees it then.
    const audience = [...(await audienceOf(current)), ...(moved ? await audienceOf({ user_id: current.user_id, category_id: values.category_id ?? null }) : [])];
    const written = await transaction(async (client) => {
      const params = [...columns.map((column) => values[column]), now, current.version + 1, taskId, current.version];
      if ((await client.query(updateIfVersion(columns), params)).rowCount === 0) return false;
      // The benchmark's tasks have no subtasks: the statement runs and finds none, as in the API.
      if (action === 'restore') await client.query(RESTORE_DESCENDANTS, [taskId, current.deleted_at, now]);
      await recordActivity(client, request, audience, userId, taskId, action, fieldChanges(toResponse(current), updated));
      return true;
    });
    if (written) return updated;
    if (attempt >= MAX_WRITE_ATTEMPTS) throw new HttpError(503, 'The task is being changed by other requests; retry shortly.');
  }
}

const app = Fastify({
  bodyLimit: 100 * 1024,
  // The app's request id: the caller's X-Request-Id when it looks like one, else a UUID (the activity entry keeps it).
  genReqId: (request) => {
    const given = request.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  },
});
app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
  const status = error instanceof HttpError ? error.status : (error.statusCode ?? 500);
  void reply.status(status).send({ status, detail: error.message });
});

/**
 * The default list only (the benchmark's): scope=all (the caller's tasks and those of the
 * categories shared with them, read first), -createdAt, limit, cursor; no filters.
 */
app.get('/api/v1/tasks', async (request) => {
  const userId = await authenticate(request);
  const params = request.query as { limit?: string; cursor?: string; sort?: string; scope?: string };
  const limit = params.limit === undefined ? 20 : Number(params.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100 || (params.sort ?? '-createdAt') !== '-createdAt' || (params.scope ?? 'all') !== 'all') {
    throw new HttpError(400, 'limit, sort or scope');
  }
  let after;
  try {
    after = params.cursor ? decodeCursor(params.cursor, LIST_FINGERPRINT) : undefined;
  } catch {
    throw new HttpError(400, 'cursor');
  }
  if (after && (after.value === null || !isCursorTimestamp(after.value))) throw new HttpError(400, 'cursor');
  const shared = (await query<{ category_id: string }>(MEMBERSHIPS, [userId])).map((row) => row.category_id);
  const position = after ? [after.value, after.id] : [];
  const rows = shared.length > 0
    ? await query<PageRow>(mergedPage(shared.length, after !== undefined), [userId, ...shared, ...position, limit + 1])
    : await query<PageRow>(after ? NEXT_PAGE : FIRST_PAGE, [userId, ...position, limit + 1]);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(viewToResponse),
    nextCursor: rows.length > limit && last ? encodeCursor(LIST_FINGERPRINT, { value: last.cursor_value, id: last.id }) : null,
  };
});

app.get('/api/v1/tasks/:id', async (request, reply) => {
  const userId = await authenticate(request);
  const [task] = await query<TaskView>(LIVE_TASK, [taskIdOf(request), userId]);
  if (!task) throw new HttpError(404, 'No such task.');
  return withEtag(reply, viewToResponse(task));
});

app.post('/api/v1/tasks', async (request, reply) => {
  const userId = await authenticate(request);
  const key = request.headers['idempotency-key'];
  if (typeof key === 'string') {
    return transaction((client) => onceUnderKey(client, request, reply, userId, key, () => createTask(request, reply, userId, client)));
  }
  return createTask(request, reply, userId);
});

/** POST /tasks; inside an idempotent request's transaction (`client`), its writes are a savepoint, as the unit of work's. */
async function createTask(request: FastifyRequest, reply: FastifyReply, userId: string, client?: pg.PoolClient) {
  const input = request.body as TaskInput;
  if (typeof input?.title !== 'string') throw new HttpError(400, 'title is required');
  const values = columnValues(input);
  const placed = await place(userId, values, undefined, client);
  const owner = placed.owner;
  const now = new Date();
  const status = values.status ?? 'pending';
  const task: TaskRow = {
    id: uuidv7(), user_id: owner, title: values.title!, description: values.description ?? null, status,
    priority: values.priority ?? 'medium', due_date: values.due_date ?? null, category_id: values.category_id ?? null,
    // The benchmark's creates carry no labels.
    labels: [], position: '', recurrence: null, parent_id: null, subtasks: { total: 0, completed: 0 }, created_by: null, assignee: null,
    completed_at: status === 'completed' ? now : null, created_at: now, updated_at: now, version: 1, deleted_at: null,
  };
  const audience = placed.audience ?? [owner];
  let response = toResponse(task);
  const write = async (tx: pg.PoolClient) => {
    const { rows: [people] } = await tx.query<{ createdBy: Person | null; assignee: Person | null }>(LOCK_OWNER, [userId, null, owner, MAX_TASKS_PER_USER]);
    if (!people) throw new HttpError(403, 'quota exceeded');
    const { rows: [last] } = task.category_id === null
      ? await tx.query<{ position: string }>(LAST_POSITION_OF_OWNER, [owner])
      : await tx.query<{ position: string }>(LAST_POSITION_IN_CATEGORY, [task.category_id]);
    task.position = generateKeyBetween(last?.position ?? null, null);
    response = toResponse({ ...task, created_by: people.createdBy, assignee: people.assignee });
    await tx.query(INSERT_TASK, [
      task.id, owner, userId, null, task.title, task.description, task.status, task.priority, task.due_date, task.labels, task.labels, task.position, task.category_id,
      task.completed_at, task.created_at, task.updated_at, task.version, task.deleted_at,
    ]);
    await recordActivity(tx, request, audience, userId, task.id, 'create', fieldChanges(null, response));
  };
  if (client) {
    await client.query('savepoint trx1');
    await write(client);
    await client.query('release savepoint trx1');
  } else {
    await transaction(write);
  }
  void reply.status(201).header('Location', `/api/v1/tasks/${task.id}`);
  return withEtag(reply, response);
}

/** IdempotencyService.run by hand: the lock on (user, key), the stored answer or the write, and the answer stored. */
async function onceUnderKey(client: pg.PoolClient, request: FastifyRequest, reply: FastifyReply, userId: string, key: string, write: () => Promise<unknown>) {
  const fingerprint = requestFingerprint(request);
  const { rows: [{ locked }] } = await client.query<{ locked: boolean }>(IDEMPOTENCY_LOCK, [`idempotency:${userId}:${key}`]);
  if (!locked) throw new HttpError(409, 'in flight');
  const now = new Date();
  const { rows: [stored] } = await client.query(IDEMPOTENCY_FIND, [userId, key, now]);
  if (stored) {
    if (stored.fingerprint !== fingerprint) throw new HttpError(422, 'idempotency key mismatch');
    void reply.status(stored.status).headers({ ...stored.headers, 'idempotent-replayed': 'true' }).type('application/json; charset=utf-8');
    return stored.body;
  }
  const value = await write();
  const headers = Object.fromEntries(['etag', 'location'].flatMap((name) => (reply.hasHeader(name) ? [[name, String(reply.getHeader(name))]] : [])));
  await client.query(IDEMPOTENCY_STORE, [userId, key, fingerprint, reply.statusCode, JSON.stringify(headers), JSON.stringify(value), new Date(now.getTime() + IDEMPOTENCY_TTL_MS)]);
  return value;
}

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** Only changed columns; completing sets completed_at, leaving completed clears it. */
app.patch('/api/v1/tasks/:id', async (request, reply) =>
  withEtag(reply, await writeTask(request, 'update', async (current, userId) => {
    const values = columnValues(request.body as TaskInput);
    if ((await place(userId, values, current)).owner !== current.user_id) throw new HttpError(501, 'handing a task to another owner is not served by the baseline');
    return values;
  })));

/** Into the trash: deleted_at set, 204. */
app.delete('/api/v1/tasks/:id', async (request, reply) => {
  await writeTask(request, 'delete', async () => ({ deleted_at: new Date() }));
  return reply.status(204).send();
});

app.post('/api/v1/tasks/:id/restore', async (request, reply) =>
  withEtag(reply, await writeTask(request, 'restore', async () => ({ deleted_at: null }))));

/**
 * Completing a pending recurring task (TaskWriter with advanceOnCompletion): its next due date from
 * the same rule engine, then in one transaction the versioned UPDATE of due_date, the occurrence
 * and its prune, and the activity entry carrying the occurrence.
 */
app.post('/api/v1/tasks/:id/toggle', async (request, reply) => {
  const userId = await authenticate(request);
  const taskId = taskIdOf(request);
  for (let attempt = 1; ; attempt++) {
    const [view] = await query<TaskView>(LIVE_TASK, [taskId, userId]);
    if (!view) throw new HttpError(404, 'No such task.');
    if (view.user !== userId && view.memberRole !== 'editor') throw new HttpError(403, 'Only a category editor can change its tasks.');
    const current = rowOf(view);
    const next = view.recurrence && current.due_date && view.status !== 'completed'
      ? nextOccurrence(view.recurrence as RuleRecurrence, new Date(view.recurrence.startsAt), current.due_date)
      : null;
    if (!next) throw new HttpError(501, 'the baseline toggles pending recurring tasks only');
    const now = new Date();
    const updated = toResponse({ ...current, due_date: next, updated_at: now, version: current.version + 1 });
    const audience = await audienceOf(current);
    const written = await transaction(async (client) => {
      if ((await client.query(updateIfVersion(['due_date']), [next, now, current.version + 1, taskId, current.version])).rowCount === 0) return false;
      const occurrence = { id: uuidv7(), dueDate: current.due_date!.toISOString(), completedAt: now.toISOString() };
      await client.query(INSERT_OCCURRENCE, [occurrence.id, taskId, occurrence.dueDate, occurrence.completedAt]);
      await client.query(PRUNE_OCCURRENCES, [taskId, MAX_OCCURRENCES_PER_TASK]);
      const changes = { ...fieldChanges(toResponse(current), updated), occurrence: { from: null, to: occurrence } };
      await recordActivity(client, request, audience, userId, taskId, 'toggle', changes);
      return true;
    });
    if (written) return withEtag(reply, updated);
    if (attempt >= MAX_WRITE_ATTEMPTS) throw new HttpError(503, 'The task is being changed by other requests; retry shortly.');
  }
});

await app.listen({ port: 0, host: '127.0.0.1' });
serveUntilDisconnected(app.server.address(), async () => {
  await app.close();
  await pool.end();
});
