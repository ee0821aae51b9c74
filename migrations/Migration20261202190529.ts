import { Migration } from '@mikro-orm/migrations';
import { generateNKeysBetween } from 'fractional-indexing';

const BACKFILL_BATCH = 1_000;

export class Migration20261202190529 extends Migration {

  override name = 'Migration20261202190529';

  override async up(): Promise<void> {
    await this.execute(`alter table "tasks" add "position" text collate "C" not null default (('a0'::text || replace((gen_random_uuid())::text, '-'::text, ''::text)) || 'V'::text);`);
    // Existing tasks take places in each list (a category, or an owner's tasks in no category) in
    // creation order, trash included, before the keys become unique per list.
    const tasks = (await this.execute(
      `select "id", coalesce('c' || "category_id"::text, 'u' || "user_id"::text) as "list" from "tasks" order by 2, "created_at", "id"`,
    )) as Array<{ id: string; list: string }>;
    const places: Array<{ id: string; position: string }> = [];
    for (let first = 0; first < tasks.length; ) {
      let end = first;
      while (end < tasks.length && tasks[end].list === tasks[first].list) end++;
      const keys = generateNKeysBetween(null, null, end - first);
      places.push(...tasks.slice(first, end).map((task, index) => ({ id: task.id, position: keys[index] })));
      first = end;
    }
    for (let start = 0; start < places.length; start += BACKFILL_BATCH) {
      await this.execute(
        `update "tasks" t set "position" = p."position" from jsonb_to_recordset(?::jsonb) as p("id" uuid, "position" text) where t."id" = p."id"`,
        [JSON.stringify(places.slice(start, start + BACKFILL_BATCH))],
      );
    }
    this.addSql(`create index "tasks_category_position_idx" on "tasks" ("category_id", "position", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_position_idx" on "tasks" ("user_id", "position", "id") where deleted_at is null;`);
    this.addSql(`create unique index "tasks_private_position_unique" on "tasks" ("user_id", "position") where category_id is null;`);
    this.addSql(`create unique index "tasks_category_position_unique" on "tasks" ("category_id", "position") where category_id is not null;`);

    this.addSql(`alter table "activity" drop constraint "activity_action_check";`);
    this.addSql(`alter table "activity" add constraint "activity_action_check" check ("action" in ('create', 'update', 'toggle', 'move', 'delete', 'restore', 'purge', 'detach', 'member_add', 'member_role', 'member_remove', 'access_granted', 'access_revoked'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity" drop constraint "activity_action_check";`);
    this.addSql(`alter table "activity" add constraint "activity_action_check" check ("action" in ('create', 'update', 'toggle', 'delete', 'restore', 'purge', 'detach', 'member_add', 'member_role', 'member_remove', 'access_granted', 'access_revoked'));`);

    this.addSql(`drop index "tasks_category_position_idx";`);
    this.addSql(`drop index "tasks_user_position_idx";`);
    this.addSql(`drop index "tasks_private_position_unique";`);
    this.addSql(`drop index "tasks_category_position_unique";`);
    this.addSql(`alter table "tasks" drop column "position";`);
  }

}
