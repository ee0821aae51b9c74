/**
 * The statements the API sends, written out by hand for the baseline (bench/baseline-server.ts).
 * Taken from the API itself: PostgreSQL's `log_statement = 'all'` on the benchmark's embedded
 * PostgreSQL during one request of each route, re-taken on 2026-12-02 for category sharing
 * (issue 13, after commit a079c7f): reads select the creator and the assignee as user summaries
 * and check the caller's membership, GET /tasks first reads the caller's memberships (and walks
 * each shared category), POST reads the category's owner and members, the versioned UPDATE no
 * longer names the owner, and every write of a categorized task reads the category's members for
 * its audience. MikroORM inlines the values (simple protocol); these bind them (`$n`, extended
 * protocol): one round trip per statement either way. Same tables, columns, conditions, order,
 * limits and RETURNING lists; bench/verify.ts proves the answers and the rows written are the
 * same, bench/statements.ts counts the statements on both sides and compares the list plans.
 */
/** SessionRepository.findLive (refresh interval, token hash, idle timeout) and touch. */
export const SESSION_LOOKUP = `select s.id, s.user_id, s.last_used_at < now() - make_interval(secs => $1) as stale
         from sessions s join users u on u.id = s.user_id
        where s.token_hash = $2 and s.expires_at > now()
          and s.last_used_at > now() - make_interval(secs => $3) and u.is_active`;
export const SESSION_TOUCH = 'update sessions set last_used_at = now() where id = $1';

/** CategoryRepository.ownerOf (CategoryAccessService.people, audience): the category's owner. */
export const CATEGORY_BY_ID = 'select "category"."user_id" from "categories" as "category" where "category"."id" = $1';
/** CategoryAccessService.people: the category's members with their roles (TaskAccess.place: the caller's role, the allowed assignees, the audience). */
export const CATEGORY_PEOPLE = 'select "member"."user_id", "member"."role" from "category_members" as "member" where "member"."category_id" = $1';
/** CategoryAccessService.memberIds: the category's members (the audience of a write to a categorized task), the same read. */
export const CATEGORY_MEMBERS = CATEGORY_PEOPLE;
/** CategoryAccessService.sharedWith: the categories shared with the caller, before every GET /tasks (scope=all). */
export const MEMBERSHIPS = 'select "member"."category_id" from "category_members" as "member" where "member"."user_id" = $1 order by "member"."category_id" asc';

/**
 * TaskPages.pageStatement for the default sort (-createdAt): every column under its property name,
 * timestamps as ISO text, limit + 1 rows, the cursor text beside each.
 */
const ISO = (column: string) => `to_char(task.${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** userSummarySql: the person behind a user id as {id, username, name}, null for none. */
const SUMMARY = (id: string) => `(select json_build_object('id', p."id", 'username', p."username", 'name', p."name") from "users" p where p."id" = ${id})`;
/** TaskRepository.subtaskCountsSql: the task's live subtasks and how many are completed. */
const SUBTASKS = `(select json_build_object('total', count(*), 'completed', count(*) filter (where sub."status" = 'completed'))
      from "tasks" sub where sub."parent_id" = task."id" and sub."deleted_at" is null)`;
const COLUMNS = `task.id as "id", task.title as "title", task.description as "description",
       task.status as "status", task.priority as "priority", task.priority_rank as "priorityRank",
       ${ISO('due_date')} as "dueDate", task.labels as "labels", task.label_keys as "labelKeys", task.position as "position", task.recurrence as "recurrence", ${ISO('completed_at')} as "completedAt", task.user_id as "user",
       ${SUMMARY('task.created_by_id')} as "createdBy", ${SUMMARY('task.assignee_id')} as "assignee",
       task.category_id as "category", task.parent_id as "parent", ${SUBTASKS} as "subtasks", ${ISO('created_at')} as "createdAt", ${ISO('updated_at')} as "updatedAt",
       task.version as "version", ${ISO('deleted_at')} as "deletedAt"`;
const CURSOR_VALUE = `to_char(task.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_value`;
/** One walk: the owner's (`"task"."user_id"`) or one category's (`"task"."category_id"`) live tasks in order, cut at the limit. */
const WALK = (extra: string, scope: string, keyset: string, limitParam: string) => `select ${COLUMNS},
       ${CURSOR_VALUE}${extra}
  from "tasks" as "task"
 where ${scope} and "task"."deleted_at" is null${keyset}
 order by "task"."created_at" desc, "task"."id" desc limit ${limitParam}`;
const KEYSET = (value: string, id: string) => ` and ((task.created_at, task.id) < (${value}::timestamptz, ${id}::uuid))`;
/** The caller's own tasks only (no category shared with them): one walk, as before sharing. */
export const FIRST_PAGE = WALK('', '"task"."user_id" = $1', '', '$2');
export const NEXT_PAGE = WALK('', '"task"."user_id" = $1', KEYSET('$2', '$3'), '$4');

/**
 * The caller's tasks and those of `sharedCategories` categories shared with them: one walk each
 * (the owner's first, then the categories in id order, as sharedWith reads them), each cut at the
 * limit, merged by the sort key and cut again (TaskPages.pageStatement's mergedWalks).
 * Parameters: $1 the caller, $2.. the categories, then the cursor (value, id) on a next page,
 * then the limit.
 */
export function mergedPage(sharedCategories: number, next: boolean): string {
  const after = sharedCategories + 2;
  const keyset = next ? KEYSET(`$${after}`, `$${after + 1}`) : '';
  const limit = `$${next ? after + 2 : after}`;
  const walks = [
    '"task"."user_id" = $1',
    ...Array.from({ length: sharedCategories }, (_, i) => `"task"."category_id" = $${i + 2}`),
  ].map((scope) => `(${WALK(', task.created_at as sort_key', scope, keyset, limit)})`);
  return `select * from (${walks.join(' union all ')}) as page order by sort_key desc, "id" desc limit ${limit}`;
}

/**
 * TaskRepository.findLive / findTrashed (id, caller): the page's columns, one task, readable by
 * its owner or by a member of its category (whose role comes with it).
 */
const ONE_TASK = (state: string) => `select ${COLUMNS}, member."role" as "memberRole"
  from "tasks" as "task"
  left join "category_members" as "member" on "member"."category_id" = "task"."category_id" and "member"."user_id" = $2
 where "task"."id" = $1 and "task"."deleted_at" ${state} and ((task.user_id = $2 or member."role" is not null)) limit 1`;
export const LIVE_TASK = ONE_TASK('is null');
export const TRASHED_TASK = ONE_TASK('is not null');

/**
 * TaskRepository.insertWithinQuota: the owner's row locked while under the quota, answering the
 * creator's and the assignee's summaries ($1, $2), then the insert.
 */
export const LOCK_OWNER = `select ${SUMMARY('$1::uuid')} as "createdBy", ${SUMMARY('$2::uuid')} as "assignee"
  from "users" where "id" = $3 and "task_count" < $4 for no key update`;
/** TaskPositions.atEnd, under the owner's lock: the last key of the new task's list (trash included), one statement per list kind. */
export const LAST_POSITION_IN_CATEGORY = 'select "task"."position" from "tasks" as "task" where "task"."category_id" = $1 order by "task"."position" desc limit 1';
export const LAST_POSITION_OF_OWNER = 'select "task"."position" from "tasks" as "task" where "task"."user_id" = $1 and "task"."category_id" is null order by "task"."position" desc limit 1';
export const INSERT_TASK = `insert into "tasks" ("id", "user_id", "created_by_id", "assignee_id", "title", "description", "status", "priority",
  "due_date", "labels", "label_keys", "position", "category_id", "completed_at", "created_at", "updated_at", "version", "deleted_at")
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) returning "created_at", "updated_at"`;

/** The columns a versioned write may set, in the order TaskWriter hands them to nativeUpdate. */
export const WRITABLE_COLUMNS = ['title', 'description', 'status', 'priority', 'due_date', 'category_id', 'deleted_at', 'completed_at'] as const;
export type WritableColumn = (typeof WRITABLE_COLUMNS)[number];

/**
 * TaskRepository.updateIfVersion: the changed columns, updated_at and the next version, if the
 * version still matches (the caller's access was checked on the read of that version).
 */
export function updateIfVersion(columns: WritableColumn[]): string {
  const set = [...columns, 'updated_at', 'version'].map((column, i) => `"${column}" = $${i + 1}`);
  const n = set.length;
  return `update "tasks" set ${set.join(', ')} where "id" = $${n + 1} and "version" = $${n + 2}`;
}

/**
 * ActivityRepository.append, once per stream of the audience: the stream's counter bumped, the
 * entries inserted with their numbers (actor $5) and the followers notified, one statement.
 */
export const APPEND_ACTIVITY = `with stream as (
    insert into "activity_streams" ("user_id", "last_seq") values ($1, $2)
    on conflict ("user_id") do update set "last_seq" = "activity_streams"."last_seq" + excluded."last_seq"
    returning "last_seq" as last_seq),
  notified as (select pg_notify('activity_stream_appended', $1::uuid::text))
  insert into "activity" ("user_id", "seq", "actor_id", "request_id", "entity_type", "entity_id", "action", "changes")
  select $1, stream.last_seq - $2 + entry.position, $5, $3, entry."entityType", entry."entityId", entry.action, entry.changes
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

/**
 * TaskHierarchy.restoreDescendants, which every restore runs: the subtasks trashed with the task
 * (at the same instant), restored with a new version each ($1 the task, $2 its deletedAt, $3 now).
 */
export const RESTORE_DESCENDANTS = `with recursive down(id, depth) as (
          select "id", 1 from "tasks" where "parent_id" = $1
          union all select t."id", down.depth + 1 from "tasks" t join down on t."parent_id" = down.id where down.depth < 8),
        before_change as (select t.* from "tasks" t join down on t."id" = down.id where t."deleted_at" = $2 for no key update of t)
        update "tasks" t set "deleted_at" = null, "version" = t."version" + 1, "updated_at" = $3
          from before_change where t."id" = before_change."id"
        returning t."id" as id, before_change."deleted_at" as "deletedAt_from", t."deleted_at" as "deletedAt_to"`;

/** TaskOccurrences.record: the completed occurrence, then those beyond the newest $2 of the task dropped. */
export const INSERT_OCCURRENCE = 'insert into "task_occurrences" ("id", "task_id", "due_date", "completed_at") values ($1, $2, $3, $4)';
export const PRUNE_OCCURRENCES = `delete from "task_occurrences" where "task_id" = $1 and "id" in (
  select "kept"."id" from "task_occurrences" as "kept" where "kept"."task_id" = $1 order by "kept"."completed_at" desc, "kept"."id" desc offset $2)`;
