import { Migration } from '@mikro-orm/migrations';

/**
 * users.task_count, kept by the statement triggers declared on Task, for the task quota. Generated;
 * the lock and the back-fill were added by hand (no task may be written between the two).
 */
export class Migration20261202021736 extends Migration {

  override name = 'Migration20261202021736';

  override up(): void | Promise<void> {
    this.addSql(`lock table "tasks" in share row exclusive mode;`);
    this.addSql(`alter table "users" add "task_count" int not null default 0;`);
    this.addSql(`update "users" u set "task_count" = counted.count
  from (select "user_id", count(*)::int as count from "tasks" group by "user_id") counted
 where u."id" = counted."user_id";`);

    this.addSql(`create or replace function "tasks_task_count_down_fn"() returns trigger as \$\$ begin
  update "users" u set "task_count" = u."task_count" - changed.count
    from (select "user_id", count(*)::int as count from changed_tasks group by "user_id") changed
   where u."id" = changed."user_id";   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "task_count_down" after delete on "tasks"
  referencing old table as changed_tasks
  for each statement execute function "tasks_task_count_down_fn"();`);
    this.addSql(`create or replace function "tasks_task_count_up_fn"() returns trigger as \$\$ begin
  update "users" u set "task_count" = u."task_count" + changed.count
    from (select "user_id", count(*)::int as count from changed_tasks group by "user_id") changed
   where u."id" = changed."user_id";   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "task_count_up" after insert on "tasks"
  referencing new table as changed_tasks
  for each statement execute function "tasks_task_count_up_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "task_count_down" on "tasks";`);
    this.addSql(`drop function if exists "tasks_task_count_down_fn"();`);
    this.addSql(`drop trigger if exists "task_count_up" on "tasks";`);
    this.addSql(`drop function if exists "tasks_task_count_up_fn"();`);

    this.addSql(`alter table "users" drop column "task_count";`);
  }

}
