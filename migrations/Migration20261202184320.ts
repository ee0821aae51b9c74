import { Migration } from '@mikro-orm/migrations';

export class Migration20261202184320 extends Migration {

  override name = 'Migration20261202184320';

  override up(): void | Promise<void> {
    // GIN operator classes for uuid, so one GIN index covers (owner or category, label keys); a
    // trusted extension, so no superuser is needed.
    this.addSql(`create extension if not exists btree_gin;`);
    this.addSql(`alter table "tasks" add "labels" text[] not null default '{}', add "label_keys" text[] not null default '{}';`);
    this.addSql(`create index "tasks_category_label_keys_idx" on "tasks" using gin ("category_id", "label_keys") where deleted_at is null;`);
    this.addSql(`create index "tasks_user_label_keys_idx" on "tasks" using gin ("user_id", "label_keys") where deleted_at is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "tasks_category_label_keys_idx";`);
    this.addSql(`drop index "tasks_user_label_keys_idx";`);
    this.addSql(`alter table "tasks" drop column "labels", drop column "label_keys";`);
    // btree_gin stays: other schemas in the database may use it.
  }

}
