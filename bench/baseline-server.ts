/**
 * Child process: the baseline. Plain Fastify + `pg`, no framework on top, answering the routes
 * the benchmark loads with the same SQL the app sends (the bearer session lookup, the keyset
 * list query from buildPageQuery, and the statements MikroORM generates for one task, its insert
 * and its versioned update), the same pool size (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW)
 * and the same JSON. No BEGIN/COMMIT: a single statement needs no transaction.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { LAST_USED_REFRESH_SECONDS } from '../src/auth/session.repository.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../src/tasks/task-cursor.js';
import { sortSpec, TASK_SORTS, type TaskSort } from '../src/tasks/task-sort.js';
import { buildPageQuery } from '../src/tasks/task.repository.js';
import { serveUntilDisconnected } from './child.js';
import { numbered } from './sql.js';

const env = process.env;
const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DATABASE_POOL_SIZE ?? 10) + Number(env.DATABASE_MAX_OVERFLOW ?? 20),
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
  statement_timeout: 15_000,
});
const IDLE_TIMEOUT_SECONDS = 30 * 60; // SESSION_IDLE_TIMEOUT's default, as the app runs with it

const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) =>
  (await pool.query<T>(sql, params)).rows;

// The SQL of SessionRepository.findLive / touch, and what MikroORM generates for the task routes.
const SESSION_LOOKUP = numbered(`select s.id, s.user_id, s.last_used_at < now() - make_interval(secs => ?) as stale
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = ? and s.expires_at > now()
          and s.last_used_at > now() - make_interval(secs => ?) and u.is_active`);
const SESSION_TOUCH = 'update sessions set last_used_at = now() where id = $1';
const TASK_BY_ID = 'select "t0".* from "tasks" as "t0" where "t0"."id" = $1 and "t0"."user_id" = $2 limit 1';
const CATEGORY_OWNED = 'select count(*) as "count" from "categories" as "c0" where "c0"."id" = $1 and "c0"."user_id" = $2';
const INSERT_TASK = `insert into "tasks" ("id", "title", "description", "status", "priority", "due_date", "completed_at", "user_id", "category_id", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning "priority_rank", "version"`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer +([A-Za-z0-9_-]{20,128}) *$/i;
const STATUSES = ['pending', 'in_progress', 'completed'];
const PRIORITIES = ['low', 'medium', 'high'];
const FIELDS = ['title', 'description', 'status', 'priority', 'due_date', 'category_id', 'completed_at'] as const;

interface TaskRecord {
  id: string; title: string; description: string | null; status: string; priority: string;
  due_date: Date | null; completed_at: Date | null; category_id: string | null;
  created_at: Date; updated_at: Date; version: number;
}
interface TaskInput { title?: string; description?: string | null; status?: string; priority?: string; dueDate?: string | null; categoryId?: string | null }

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);
const toResponse = (t: TaskRecord) => ({
  id: t.id, title: t.title, description: t.description, status: t.status, priority: t.priority,
  dueDate: iso(t.due_date), completedAt: iso(t.completed_at), categoryId: t.category_id,
  createdAt: t.created_at.toISOString(), updatedAt: t.updated_at.toISOString(), version: t.version,
});
const sendTask = (reply: FastifyReply, task: TaskRecord) => reply.header('ETag', `"${task.id}.${task.version}"`).send(toResponse(task));

async function authenticate(request: FastifyRequest): Promise<string> {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  const hash = token && createHash('sha256').update(token, 'utf8').digest('hex');
  const [session] = hash ? await query<{ id: string; user_id: string; stale: boolean }>(SESSION_LOOKUP, [LAST_USED_REFRESH_SECONDS, hash, IDLE_TIMEOUT_SECONDS]) : [];
  if (!session) throw new HttpError(401, 'unauthenticated');
  if (session.stale) await query(SESSION_TOUCH, [session.id]);
  return session.user_id;
}

async function findTask(userId: string, id: string): Promise<TaskRecord> {
  if (!UUID.test(id)) throw new HttpError(400, 'id must be a UUID');
  const [task] = await query<TaskRecord>(TASK_BY_ID, [id, userId]);
  if (!task) throw new HttpError(404, 'No such task.');
  return task;
}

/** Checks the body the way the DTOs would (minimally) and applies it; the category must be the caller's. */
async function applyInput(userId: string, task: TaskRecord, input: TaskInput, now: Date): Promise<void> {
  if (typeof input !== 'object' || input === null) throw new HttpError(400, 'body must be an object');
  const title = typeof input.title === 'string' ? input.title.trim() : input.title;
  if (title !== undefined && (typeof title !== 'string' || title.length < 1 || title.length > 200)) throw new HttpError(400, 'title');
  if (input.status !== undefined && !STATUSES.includes(input.status)) throw new HttpError(400, 'status');
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) throw new HttpError(400, 'priority');
  if (input.categoryId) {
    const [{ count }] = await query<{ count: string }>(CATEGORY_OWNED, [input.categoryId.toLowerCase(), userId]);
    if (count === '0') throw new HttpError(400, 'categoryId must be one of your categories');
    task.category_id = input.categoryId.toLowerCase();
  } else if (input.categoryId === null) task.category_id = null;
  if (title !== undefined) task.title = title;
  if (input.description !== undefined) task.description = input.description;
  if (input.status !== undefined) task.status = input.status;
  if (input.priority !== undefined) task.priority = input.priority;
  if (input.dueDate !== undefined) task.due_date = input.dueDate === null ? null : new Date(input.dueDate);
  task.completed_at = task.status === 'completed' ? (task.completed_at ?? now) : null;
}

const app = Fastify({ bodyLimit: 100 * 1024 });
app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
  const status = error instanceof HttpError ? error.status : (error.statusCode ?? 500);
  void reply.status(status).send({ status, detail: error.message });
});

app.get('/api/v1/tasks', async (request) => {
  const userId = await authenticate(request);
  const params = request.query as { limit?: string; cursor?: string; sort?: string };
  const limit = params.limit === undefined ? 20 : Number(params.limit);
  const sort = (params.sort ?? '-createdAt') as TaskSort;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !TASK_SORTS.includes(sort)) throw new HttpError(400, 'limit or sort');
  const fingerprint = listFingerprint({ sort }); // no filters: the same fingerprint the app makes
  let after;
  try {
    after = params.cursor ? decodeCursor(params.cursor, fingerprint) : undefined;
  } catch {
    throw new HttpError(400, 'cursor');
  }
  const page = buildPageQuery(userId, {}, sortSpec(sort), after, limit);
  const rows = await query<{ id: string; cursor_value: string | null } & Record<string, unknown>>(numbered(page.sql), page.params);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => ({
      id: row.id, title: row.title, description: row.description, status: row.status, priority: row.priority,
      dueDate: row.due_date, completedAt: row.completed_at, categoryId: row.category_id,
      createdAt: row.created_at, updatedAt: row.updated_at, version: row.version,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursor_value, id: last.id }) : null,
  };
});

app.get('/api/v1/tasks/:id', async (request, reply) => {
  const userId = await authenticate(request);
  return sendTask(reply, await findTask(userId, (request.params as { id: string }).id));
});

app.post('/api/v1/tasks', async (request, reply) => {
  const userId = await authenticate(request);
  const now = new Date();
  const task: TaskRecord = {
    id: uuidv7(), title: '', description: null, status: 'pending', priority: 'medium', due_date: null,
    completed_at: null, category_id: null, created_at: now, updated_at: now, version: 1,
  };
  const input = request.body as TaskInput;
  if (typeof input?.title !== 'string') throw new HttpError(400, 'title is required');
  await applyInput(userId, task, input, now);
  const [generated] = await query<{ version: number }>(INSERT_TASK, [
    task.id, task.title, task.description, task.status, task.priority, task.due_date, task.completed_at,
    userId, task.category_id, task.created_at, task.updated_at,
  ]);
  task.version = generated.version;
  void reply.status(201).header('Location', `/api/v1/tasks/${task.id}`);
  return sendTask(reply, task);
});

/** Like the ORM: only changed columns, updated_at, and the version check in the WHERE clause. */
app.patch('/api/v1/tasks/:id', async (request, reply) => {
  const userId = await authenticate(request);
  for (let attempt = 1; ; attempt++) {
    const task = await findTask(userId, (request.params as { id: string }).id);
    const before = { ...task };
    const now = new Date();
    await applyInput(userId, task, request.body as TaskInput, now);
    const changed = FIELDS.filter((field) => !same(before[field], task[field]));
    if (changed.length === 0) return sendTask(reply, task);
    task.updated_at = now;
    const columns = [...changed, 'updated_at'];
    const sql = `update "tasks" set ${columns.map((column, i) => `"${column}" = $${i + 1}`).join(', ')}, "version" = "version" + 1 where "id" = $${columns.length + 1} and "version" = $${columns.length + 2} returning "priority_rank", "version"`;
    const [updated] = await query<{ version: number }>(sql, [...columns.map((column) => task[column as keyof TaskRecord]), task.id, task.version]);
    if (updated) {
      task.version = updated.version;
      return sendTask(reply, task);
    }
    if (attempt >= 3) throw new HttpError(412, 'The task changed since you read it.');
  }
});

await app.listen({ port: 0, host: '127.0.0.1' });
serveUntilDisconnected(app.server.address(), async () => {
  await app.close();
  await pool.end();
});
