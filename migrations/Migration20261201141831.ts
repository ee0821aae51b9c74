import { Migration } from '@mikro-orm/migrations';

export class Migration20261201141831 extends Migration {

  override name = 'Migration20261201141831';

  override up(): void | Promise<void> {
    this.addSql(`create index "tasks_user_due_date_desc_idx" on "tasks" ("user_id", "due_date" desc nulls last, "id" desc);`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "tasks_user_due_date_desc_idx";`);
  }

}
