import { Migration } from '@mikro-orm/migrations';

export class Migration20261202112640 extends Migration {

  override name = 'Migration20261202112640';

  override up(): void | Promise<void> {
    this.addSql(`create table "idempotency_records" ("user_id" uuid not null, "key" varchar(255) not null, "fingerprint" varchar(64) not null, "status" smallint not null, "headers" jsonb not null, "body" text not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, primary key ("user_id", "key"));`);
    this.addSql(`create index "idempotency_records_expires_at_idx" on "idempotency_records" ("expires_at");`);

    this.addSql(`alter table "idempotency_records" add constraint "idempotency_records_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "idempotency_records" cascade;`);
  }

}
