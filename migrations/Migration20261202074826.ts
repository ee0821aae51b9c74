import { Migration } from '@mikro-orm/migrations';

export class Migration20261202074826 extends Migration {

  override name = 'Migration20261202074826';

  override up(): void | Promise<void> {
    this.addSql(`create table "activity_streams" ("user_id" uuid not null, "last_seq" bigint not null, primary key ("user_id"));`);

    this.addSql(`create table "activity" ("id" bigserial primary key, "user_id" uuid not null, "seq" bigint not null, "actor_id" uuid null, "entity_type" text not null, "entity_id" uuid not null, "action" text not null, "changes" jsonb not null, "request_id" varchar(128) null, "at" timestamptz not null default now());`);
    this.addSql(`create index "activity_at_idx" on "activity" ("at");`);
    this.addSql(`create index "activity_user_entity_seq_idx" on "activity" ("user_id", "entity_id", "seq");`);
    this.addSql(`alter table "activity" add constraint "activity_user_seq_unique" unique ("user_id", "seq");`);

    this.addSql(`drop index "tasks_description_trgm_idx";`);
    this.addSql(`drop index "tasks_title_trgm_idx";`);
    this.addSql(`drop index "tasks_user_category_idx";`);
    this.addSql(`drop index "tasks_user_created_at_idx";`);
    this.addSql(`drop index "tasks_user_due_date_idx";`);
    this.addSql(`drop index "tasks_user_priority_idx";`);
    this.addSql(`drop index "tasks_user_status_idx";`);
    this.addSql(`drop index "tasks_user_title_idx";`);
    this.addSql(`drop index "tasks_user_updated_at_idx";`);
    this.addSql(`alter table "tasks" add "deleted_at" timestamptz null;`);
    this.addSql(`create index "tasks_trash_deleted_at_idx" on "tasks" ("deleted_at") where deleted_at is not null;`);
    this.addSql(`create index "tasks_user_trash_idx" on "tasks" ("user_id", "deleted_at", "id") where deleted_at is not null;`);
    this.addSql(`create index "tasks_user_category_idx" on "tasks" ("user_id", "category_id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_created_at_idx" on "tasks" ("user_id", "created_at", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_due_date_idx" on "tasks" ("user_id", "due_date", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_priority_idx" on "tasks" ("user_id", "priority_rank", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_status_idx" on "tasks" ("user_id", "status", "created_at", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_title_idx" on "tasks" ("user_id", "title", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_updated_at_idx" on "tasks" ("user_id", "updated_at", "id") where deleted_at is null;`);

    // By hand: the generator compares expression indexes by name only.
    this.addSql(`drop index "tasks_user_due_date_desc_idx";`);
    this.addSql(`create index "tasks_user_due_date_desc_idx" on "tasks" ("user_id", "due_date" desc nulls last, "id" desc) where deleted_at is null;`);

    this.addSql(`alter table "activity_streams" add constraint "activity_streams_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "activity" add constraint "activity_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "activity" add constraint "activity_actor_id_foreign" foreign key ("actor_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "activity" add constraint "activity_entity_type_check" check ("entity_type" in ('task', 'category'));`);
    this.addSql(`alter table "activity" add constraint "activity_action_check" check ("action" in ('create', 'update', 'toggle', 'delete', 'restore', 'purge', 'detach'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "activity_streams" cascade;`);
    this.addSql(`drop table if exists "activity" cascade;`);

    this.addSql(`drop index "tasks_trash_deleted_at_idx";`);
    this.addSql(`drop index "tasks_user_trash_idx";`);
    this.addSql(`drop index "tasks_user_category_idx";`);
    this.addSql(`drop index "tasks_user_title_idx";`);
    this.addSql(`drop index "tasks_user_status_idx";`);
    this.addSql(`drop index "tasks_user_priority_idx";`);
    this.addSql(`drop index "tasks_user_due_date_idx";`);
    this.addSql(`drop index "tasks_user_updated_at_idx";`);
    this.addSql(`drop index "tasks_user_created_at_idx";`);
    this.addSql(`drop index "tasks_user_due_date_desc_idx";`);
    this.addSql(`create index "tasks_user_due_date_desc_idx" on "tasks" ("user_id", "due_date" desc nulls last, "id" desc);`);
    this.addSql(`alter table "tasks" drop column "deleted_at";`);
    this.addSql(`create index "tasks_description_trgm_idx" on "tasks" using gin ("description" gin_trgm_ops);`);
    this.addSql(`create index "tasks_title_trgm_idx" on "tasks" using gin ("title" gin_trgm_ops);`);
    this.addSql(`create index "tasks_user_category_idx" on "tasks" ("user_id", "category_id");`);
    this.addSql(`create index "tasks_user_title_idx" on "tasks" ("user_id", "title", "id");`);
    this.addSql(`create index "tasks_user_status_idx" on "tasks" ("user_id", "status", "created_at", "id");`);
    this.addSql(`create index "tasks_user_priority_idx" on "tasks" ("user_id", "priority_rank", "id");`);
    this.addSql(`create index "tasks_user_due_date_idx" on "tasks" ("user_id", "due_date", "id");`);
    this.addSql(`create index "tasks_user_updated_at_idx" on "tasks" ("user_id", "updated_at", "id");`);
    this.addSql(`create index "tasks_user_created_at_idx" on "tasks" ("user_id", "created_at", "id");`);
  }

}
