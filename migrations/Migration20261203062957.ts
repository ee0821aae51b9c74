import { Migration } from '@mikro-orm/migrations';

export class Migration20261203062957 extends Migration {

  override name = 'Migration20261203062957';

  override up(): void | Promise<void> {
    this.addSql(`create table "task_occurrences" ("id" uuid not null default gen_random_uuid(), "task_id" uuid not null, "due_date" timestamptz not null, "completed_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "task_occurrences_task_completed_idx" on "task_occurrences" ("task_id", "completed_at", "id");`);

    this.addSql(`alter table "tasks" add "recurrence" jsonb null;`);

    this.addSql(`alter table "task_occurrences" add constraint "task_occurrences_task_id_foreign" foreign key ("task_id") references "tasks" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "task_occurrences" cascade;`);

    this.addSql(`alter table "tasks" drop column "recurrence";`);
  }

}
