/**
 * The statements the API sends, written out by hand for the baseline (bench/baseline-server.ts).
 * Taken from the API itself: PostgreSQL's `log_statement = 'all'` during one request of each
 * route (2026-12-02, commit 67b3e73). MikroORM inlines the values (simple protocol); these bind
 * them (`$n`, extended protocol): one round trip per statement either way. Same tables, columns,
 * conditions, order, limits and RETURNING lists; bench/verify.ts proves the answers and the rows
 * written are the same, bench/statements.ts counts the statements on both sides.
 */
/** SessionRepository.findLive (refresh interval, token hash, idle timeout) and touch. */
export const SESSION_LOOKUP = `select s.id, s.user_id, s.last_used_at < now() - make_interval(secs => $1) as stale
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = $2 and s.expires_at > now()
          and s.last_used_at > now() - make_interval(secs => $3) and u.is_active`;
export const SESSION_TOUCH = 'update sessions set last_used_at = now() where id = $1';

/** CategoriesService.isOwnedBy: MikroORM's count, sent before the transaction. */
export const CATEGORY_OWNED = 'select count(*) as "count" from "categories" as "c0" where "c0"."id" = $1 and "c0"."user_id" = $2';

/**
 * TaskRepository.pageStatement for the default sort (-createdAt): every column under its property name,
 * timestamps as ISO text, limit + 1 rows, the cursor text beside each.
 */
const ISO = (column: string) => `to_char(task.${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const COLUMNS = `task.id as "id", task.title as "title", task.description as "description",
       task.status as "status", task.priority as "priority", task.priority_rank as "priorityRank",
       ${ISO('due_date')} as "dueDate", ${ISO('completed_at')} as "completedAt", task.user_id as "user",
       task.category_id as "category", ${ISO('created_at')} as "createdAt", ${ISO('updated_at')} as "updatedAt",
       task.version as "version", ${ISO('deleted_at')} as "deletedAt"`;
const PAGE = (keyset: string, limitParam: string) => `select ${COLUMNS},
       to_char(task.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_value
  from "tasks" as "task"
 where "task"."user_id" = $1 and "task"."deleted_at" is null${keyset}
 order by "task"."created_at" desc, "task"."id" desc limit ${limitParam}`;
export const FIRST_PAGE = PAGE('', '$2');
export const NEXT_PAGE = PAGE(' and ((task.created_at, task.id) < ($2::timestamptz, $3::uuid))', '$4');

/** TaskRepository.findLive / findTrashed (id, owner): the page's columns, one task. */
const ONE_TASK = (state: string) => `select ${COLUMNS}
  from "tasks" as "task" where "task"."id" = $1 and "task"."user_id" = $2 and "task"."deleted_at" ${state} limit 1`;
export const LIVE_TASK = ONE_TASK('is null');
export const TRASHED_TASK = ONE_TASK('is not null');

/** TaskRepository.insertWithinQuota: the owner's row locked while under the quota, then the insert. */
export const LOCK_OWNER = 'select 1 from "users" where "id" = $1 and "task_count" < $2 for no key update';
export const INSERT_TASK = `insert into "tasks" ("id", "user_id", "title", "description", "status", "priority", "due_date", "category_id",
  "completed_at", "created_at", "updated_at", "version", "deleted_at")
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning "created_at", "updated_at"`;

/** The columns a versioned write may set, in the order TaskWriter hands them to nativeUpdate. */
export const WRITABLE_COLUMNS = ['title', 'description', 'status', 'priority', 'due_date', 'category_id', 'deleted_at', 'completed_at'] as const;
export type WritableColumn = (typeof WRITABLE_COLUMNS)[number];

/** TaskRepository.updateIfVersion: the changed columns, updated_at and the next version, if the version still matches. */
export function updateIfVersion(columns: WritableColumn[]): string {
  const set = [...columns, 'updated_at', 'version'].map((column, i) => `"${column}" = $${i + 1}`);
  const n = set.length;
  return `update "tasks" set ${set.join(', ')} where "id" = $${n + 1} and "user_id" = $${n + 2} and "version" = $${n + 3}`;
}

/** ActivityRepository.append: the owner's stream counter bumped, the entries inserted with their numbers and the followers notified, one statement. */
export const APPEND_ACTIVITY = `with stream as (
    insert into "activity_streams" ("user_id", "last_seq") values ($1, $2)
    on conflict ("user_id") do update set "last_seq" = "activity_streams"."last_seq" + excluded."last_seq"
    returning "last_seq" as last_seq),
  notified as (select pg_notify('activity_stream_appended', $1::uuid::text))
  insert into "activity" ("user_id", "seq", "actor_id", "request_id", "entity_type", "entity_id", "action", "changes")
  select $1, stream.last_seq - $2 + entry.position, $1, $3, entry."entityType", entry."entityId", entry.action, entry.changes
    from stream, notified, rows from (jsonb_to_recordset($4::jsonb) as ("entityType" text, "entityId" uuid, action text, changes jsonb))
      with ordinality as entry("entityType", "entityId", action, changes, position)
  returning "seq" as seq`;

/** WebhookRepository.enqueue: an outbox message per subscribed active webhook (none in the benchmark), one statement. */
export const ENQUEUE_WEBHOOK_MESSAGES = `with queued as (
    insert into "webhook_messages" ("id", "webhook_id", "user_id", "seq", "event_type", "entity_type", "entity_id", "next_attempt_at")
    select gen_random_uuid(), w."id", w."user_id", event.seq, event.type, event."entityType", event."entityId", now()
      from "webhooks" w, jsonb_to_recordset($1::jsonb) as event(seq bigint, type text, "entityType" text, "entityId" uuid)
     where w."user_id" = $2 and w."active"
       and (event.type = any(w."events") or split_part(event.type, '.', 1) || '.*' = any(w."events"))
    returning 1)
  select pg_notify('webhook_messages_queued', '') from queued limit 1`;

/** IdempotencyService.run: the advisory lock on (user, key), then the stored answer, if any. */
export const IDEMPOTENCY_LOCK = 'select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked';
export const IDEMPOTENCY_FIND = `select "fingerprint", "status", "headers", "body" from "idempotency_records"
  where "user_id" = $1 and "key" = $2 and "expires_at" > $3`;
/** IdempotencyRepository.store. */
export const IDEMPOTENCY_STORE = `insert into "idempotency_records" ("user_id", "key", "fingerprint", "status", "headers", "body", "expires_at")
  select $1, $2, $3, $4, $5::jsonb, $6, $7 where exists (select 1 from "users" where "id" = $1)
  on conflict ("user_id", "key") do update set "fingerprint" = excluded."fingerprint", "status" = excluded."status",
    "headers" = excluded."headers", "body" = excluded."body", "expires_at" = excluded."expires_at"`;
