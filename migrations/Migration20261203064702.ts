import { Migration } from '@mikro-orm/migrations';

export class Migration20261203064702 extends Migration {

  override name = 'Migration20261203064702';

  override up(): void | Promise<void> {
    this.addSql(`alter table "tasks" add "parent_id" uuid null;`);
    this.addSql(`alter table "tasks" add constraint "tasks_parent_id_foreign" foreign key ("parent_id") references "tasks" ("id") on delete set null;`);
    this.addSql(`create index "tasks_parent_idx" on "tasks" ("parent_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "tasks" drop constraint "tasks_parent_id_foreign";`);

    this.addSql(`drop index "tasks_parent_idx";`);
    this.addSql(`alter table "tasks" drop column "parent_id";`);
  }

}
