/**
 * Child process: the baseline. Plain Fastify + `pg`, no framework on top, answering the routes
 * the benchmark loads with the same SQL the app sends (the bearer session lookup, the keyset
 * list query from buildPageQuery, the category check, and one task's select, insert and
 * versioned update from src/tasks/task-sql.ts), the same pool size (DATABASE_POOL_SIZE +
 * DATABASE_MAX_OVERFLOW) and the same JSON. Its own checks and change detection are hand-written.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { LAST_USED_REFRESH_SECONDS } from '../src/auth/session.repository.js';
import { decodeCursor, encodeCursor, listFingerprint } from '../src/common/keyset-cursor.js';
import { sortSpec, TASK_SORTS, type TaskSort } from '../src/tasks/task-sort.js';
import { insertTask, selectTask, updateTask, type SqlStatement, type TaskColumnValues } from '../src/tasks/task-sql.js';
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
const MAX_TASKS_PER_USER = 10_000; // the app's default quota

const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[]) =>
  (await pool.query<T>(sql, params)).rows;

// The SQL of SessionRepository.findLive / touch and of CategoriesService.isOwnedBy (MikroORM's count).
const SESSION_LOOKUP = numbered(`select s.id, s.user_id, s.last_used_at < now() - make_interval(secs => ?) as stale
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = ? and s.expires_at > now()
          and s.last_used_at > now() - make_interval(secs => ?) and u.is_active`);
const SESSION_TOUCH = 'update sessions set last_used_at = now() where id = $1';
const CATEGORY_OWNED = 'select count(*) as "count" from "categories" as "c0" where "c0"."id" = $1 and "c0"."user_id" = $2';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer +([A-Za-z0-9_-]{20,128}) *$/i;
const STATUSES = ['pending', 'in_progress', 'completed'];
const PRIORITIES = ['low', 'medium', 'high'];

/** A row as TASK_COLUMNS selects it: timestamps already ISO text. */
interface TaskRow {
  id: string; title: string; description: string | null; status: string; priority: string;
  due_date: string | null; completed_at: string | null; category_id: string | null;
  created_at: string; updated_at: string; version: number;
}
interface TaskInput { title?: string; description?: string | null; status?: string; priority?: string; dueDate?: string | null; categoryId?: string | null }

class HttpError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

const toResponse = (t: TaskRow) => ({
  id: t.id, title: t.title, description: t.description, status: t.status, priority: t.priority,
  dueDate: t.due_date, completedAt: t.completed_at, categoryId: t.category_id,
  createdAt: t.created_at, updatedAt: t.updated_at, version: t.version,
});
const sendTask = (reply: FastifyReply, task: TaskRow) => reply.header('ETag', `"${task.id}.${task.version}"`).send(toResponse(task));
const firstRow = async (statement: SqlStatement) => (await query<TaskRow>(numbered(statement.sql), statement.params))[0];

async function authenticate(request: FastifyRequest): Promise<string> {
  const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
  const hash = token && createHash('sha256').update(token, 'utf8').digest('hex');
  const [session] = hash ? await query<{ id: string; user_id: string; stale: boolean }>(SESSION_LOOKUP, [LAST_USED_REFRESH_SECONDS, hash, IDLE_TIMEOUT_SECONDS]) : [];
  if (!session) throw new HttpError(401, 'unauthenticated');
  if (session.stale) await query(SESSION_TOUCH, [session.id]);
  return session.user_id;
}

async function findTask(userId: string, id: string): Promise<TaskRow> {
  if (!UUID.test(id)) throw new HttpError(400, 'id must be a UUID');
  const task = await firstRow(selectTask(userId, id));
  if (!task) throw new HttpError(404, 'No such task.');
  return task;
}

/** Checks the body the way the DTOs would (minimally); the category must be the caller's. */
async function columnValues(userId: string, input: TaskInput): Promise<TaskColumnValues> {
  if (typeof input !== 'object' || input === null) throw new HttpError(400, 'body must be an object');
  const title = typeof input.title === 'string' ? input.title.trim() : input.title;
  if (title !== undefined && (typeof title !== 'string' || title.length < 1 || title.length > 200)) throw new HttpError(400, 'title');
  if (input.status !== undefined && !STATUSES.includes(input.status)) throw new HttpError(400, 'status');
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) throw new HttpError(400, 'priority');
  const categoryId = input.categoryId?.toLowerCase() ?? input.categoryId;
  if (categoryId) {
    const [{ count }] = await query<{ count: string }>(CATEGORY_OWNED, [categoryId, userId]);
    if (count === '0') throw new HttpError(400, 'categoryId must be one of your categories');
  }
  return {
    title, description: input.description, status: input.status as TaskColumnValues['status'],
    priority: input.priority as TaskColumnValues['priority'], category_id: categoryId,
    due_date: input.dueDate === undefined ? undefined : input.dueDate === null ? null : new Date(input.dueDate),
  };
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
  const rows = await query<TaskRow & { cursor_value: string | null }>(numbered(page.sql), page.params);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toResponse),
    nextCursor: rows.length > limit && last ? encodeCursor(fingerprint, { value: last.cursor_value, id: last.id }) : null,
  };
});

app.get('/api/v1/tasks/:id', async (request, reply) => {
  const userId = await authenticate(request);
  return sendTask(reply, await findTask(userId, (request.params as { id: string }).id));
});

app.post('/api/v1/tasks', async (request, reply) => {
  const userId = await authenticate(request);
  const input = request.body as TaskInput;
  if (typeof input?.title !== 'string') throw new HttpError(400, 'title is required');
  const values = await columnValues(userId, input);
  const completedAt = values.status === 'completed' ? 'set' : 'keep';
  const task = await firstRow(insertTask(uuidv7(), userId, { ...values, title: values.title! }, completedAt, MAX_TASKS_PER_USER));
  if (!task) throw new HttpError(403, 'quota exceeded');
  void reply.status(201).header('Location', `/api/v1/tasks/${task.id}`);
  return sendTask(reply, task);
});

/** Like the app: only changed columns, and the version check in the WHERE clause. */
app.patch('/api/v1/tasks/:id', async (request, reply) => {
  const userId = await authenticate(request);
  for (let attempt = 1; ; attempt++) {
    const task = await findTask(userId, (request.params as { id: string }).id);
    const values = await columnValues(userId, request.body as TaskInput);
    const current: Record<string, unknown> = { ...task };
    const changed = Object.fromEntries(Object.entries(values).filter(([column, value]) =>
      value !== undefined && (value instanceof Date ? value.toISOString() : value) !== current[column]));
    if (Object.keys(changed).length === 0) return sendTask(reply, task);
    const completedAt = changed.status === undefined ? 'keep'
      : changed.status === 'completed' ? (task.completed_at ? 'keep' : 'set')
      : (task.completed_at ? 'clear' : 'keep');
    const updated = await firstRow(updateTask(userId, task.id, task.version, changed, completedAt));
    if (updated) return sendTask(reply, updated);
    if (attempt >= 3) throw new HttpError(412, 'The task changed since you read it.');
  }
});

await app.listen({ port: 0, host: '127.0.0.1' });
serveUntilDisconnected(app.server.address(), async () => {
  await app.close();
  await pool.end();
});
