import { Migration } from '@mikro-orm/migrations';

export class Migration20261123011344 extends Migration {

  override name = 'Migration20261123011344';

  override up(): void | Promise<void> {
    this.addSql(`create table "login_throttles" ("key" varchar(300) not null, "failures" int not null, "window_started_at" timestamptz not null, primary key ("key"));`);
    this.addSql(`create index "login_throttles_window_started_at_idx" on "login_throttles" ("window_started_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "login_throttles" cascade;`);
  }

}
