import { Migration } from '@mikro-orm/migrations';

export class Migration20261202114908 extends Migration {

  override name = 'Migration20261202114908';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhooks" ("id" uuid not null default gen_random_uuid(), "user_id" uuid not null, "url" varchar(2000) not null, "events" text[] not null, "active" boolean not null default true, "disabled_reason" varchar(200) null, "secret" varchar(100) not null, "previous_secret" varchar(100) null, "previous_secret_until" timestamptz null, "last_success_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "webhooks_user_idx" on "webhooks" ("user_id", "created_at");`);

    this.addSql(`create table "webhook_messages" ("id" uuid not null, "webhook_id" uuid not null, "user_id" uuid not null, "seq" bigint not null, "event_type" varchar(50) not null, "entity_type" varchar(20) not null, "entity_id" uuid not null, "state" text not null default 'pending', "attempts" smallint not null default 0, "payload" text null, "created_at" timestamptz not null default now(), "next_attempt_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_messages_webhook_idx" on "webhook_messages" ("webhook_id", "created_at");`);
    this.addSql(`create index "webhook_messages_due_idx" on "webhook_messages" ("next_attempt_at") where state = 'pending';`);
    this.addSql(`create index "webhook_messages_finished_idx" on "webhook_messages" ("created_at") where state <> 'pending';`);

    this.addSql(`create table "webhook_attempts" ("id" bigserial primary key, "webhook_id" uuid not null, "message_id" uuid not null, "attempt" smallint not null, "at" timestamptz not null default now(), "status_code" smallint null, "duration_ms" int not null, "error" varchar(300) null);`);
    this.addSql(`create index "webhook_attempts_webhook_id_idx" on "webhook_attempts" ("webhook_id", "id");`);

    this.addSql(`alter table "webhooks" add constraint "webhooks_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "webhook_messages" add constraint "webhook_messages_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_messages" add constraint "webhook_messages_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_messages" add constraint "webhook_messages_state_check" check ("state" in ('pending', 'delivered', 'failed'));`);

    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_message_id_foreign" foreign key ("message_id") references "webhook_messages" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook_messages" drop constraint "webhook_messages_webhook_id_foreign";`);
    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_webhook_id_foreign";`);
    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_message_id_foreign";`);

    this.addSql(`drop table if exists "webhooks" cascade;`);
    this.addSql(`drop table if exists "webhook_messages" cascade;`);
    this.addSql(`drop table if exists "webhook_attempts" cascade;`);
  }

}
