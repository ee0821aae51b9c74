import { Migration } from '@mikro-orm/migrations';

export class Migration20261123010301 extends Migration {

  override name = 'Migration20261123010301';

  override up(): void | Promise<void> {
    // Trigram matching for the task search index (trusted extension: no superuser needed).
    this.addSql(`create extension if not exists pg_trgm;`);

    this.addSql(`create table "users" ("id" uuid not null default gen_random_uuid(), "email" varchar(255) not null, "username" varchar(50) not null, "name" varchar(100) not null, "password_hash" varchar(255) not null, "is_active" boolean not null default true, "email_verified" boolean not null default false, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
    this.addSql(`create index "users_created_at_idx" on "users" ("created_at");`);
    this.addSql(`create unique index "users_username_lower_unique" on "users" (lower("username"));`);
    this.addSql(`alter table "users" add constraint "users_email_lower_case_check" check (email = lower(email));`);

    this.addSql(`create table "sessions" ("id" uuid not null default gen_random_uuid(), "user_id" uuid not null, "token_hash" varchar(64) not null, "expires_at" timestamptz not null, "last_used_at" timestamptz not null default now(), "created_at" timestamptz not null default now(), "user_agent" varchar(255) null, primary key ("id"));`);
    this.addSql(`alter table "sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "sessions_user_id_idx" on "sessions" ("user_id");`);
    this.addSql(`create index "sessions_expires_at_idx" on "sessions" ("expires_at");`);

    this.addSql(`create table "categories" ("id" uuid not null default gen_random_uuid(), "name" varchar(100) not null, "color" varchar(7) not null default '#6b7280', "user_id" uuid not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "categories_user_id_idx" on "categories" ("user_id");`);
    this.addSql(`create unique index "categories_user_name_lower_unique" on "categories" ("user_id", lower("name"));`);
    this.addSql(`alter table "categories" add constraint "categories_color_check" check (color ~ '^#[0-9a-f]{6}\$');`);

    this.addSql(`create table "tasks" ("id" uuid not null default gen_random_uuid(), "title" varchar(200) not null, "description" text null, "status" text not null default 'pending', "priority" text not null default 'medium', "priority_rank" smallint generated always as (case priority when 'high' then 3 when 'medium' then 2 else 1 end) stored not null, "due_date" timestamptz null, "completed_at" timestamptz null, "user_id" uuid not null, "category_id" uuid null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "tasks_title_trgm_idx" on "tasks" using gin ("title" gin_trgm_ops);`);
    this.addSql(`create index "tasks_description_trgm_idx" on "tasks" using gin ("description" gin_trgm_ops);`);
    this.addSql(`create index "tasks_category_id_idx" on "tasks" ("category_id");`);
    this.addSql(`create index "tasks_user_category_idx" on "tasks" ("user_id", "category_id");`);
    this.addSql(`create index "tasks_user_title_idx" on "tasks" ("user_id", "title", "id");`);
    this.addSql(`create index "tasks_user_status_idx" on "tasks" ("user_id", "status", "created_at", "id");`);
    this.addSql(`create index "tasks_user_priority_idx" on "tasks" ("user_id", "priority_rank", "id");`);
    this.addSql(`create index "tasks_user_due_date_idx" on "tasks" ("user_id", "due_date", "id");`);
    this.addSql(`create index "tasks_user_updated_at_idx" on "tasks" ("user_id", "updated_at", "id");`);
    this.addSql(`create index "tasks_user_created_at_idx" on "tasks" ("user_id", "created_at", "id");`);
    this.addSql(`alter table "tasks" add constraint "tasks_status_check" check ("status" in ('pending', 'in_progress', 'completed'));`);
    this.addSql(`alter table "tasks" add constraint "tasks_priority_check" check ("priority" in ('low', 'medium', 'high'));`);

    this.addSql(`alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "categories" add constraint "categories_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "tasks" add constraint "tasks_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "tasks" add constraint "tasks_category_id_foreign" foreign key ("category_id") references "categories" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "tasks" cascade;`);
    this.addSql(`drop table if exists "categories" cascade;`);
    this.addSql(`drop table if exists "sessions" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
    // pg_trgm stays: other schemas in the database may use it.
  }
}
