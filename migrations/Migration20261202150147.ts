import { Migration } from '@mikro-orm/migrations';

export class Migration20261202150147 extends Migration {

  override name = 'Migration20261202150147';

  override up(): void | Promise<void> {
    this.addSql(`create table "category_members" ("category_id" uuid not null, "user_id" uuid not null, "role" text not null, "created_at" timestamptz not null default now(), primary key ("category_id", "user_id"));`);
    this.addSql(`create index "category_members_user_idx" on "category_members" ("user_id", "category_id");`);

    this.addSql(`create table "category_invitations" ("id" uuid not null default gen_random_uuid(), "category_id" uuid not null, "invited_by_id" uuid not null, "invitee_id" uuid null, "invitee_email" varchar(255) null, "login" varchar(255) not null, "role" text not null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "category_invitations_email_idx" on "category_invitations" ("invitee_email");`);
    this.addSql(`create index "category_invitations_invitee_idx" on "category_invitations" ("invitee_id");`);
    this.addSql(`create index "category_invitations_category_idx" on "category_invitations" ("category_id", "created_at");`);

    this.addSql(`alter table "tasks" add "created_by_id" uuid null, add "assignee_id" uuid null;`);
    // Every existing task was created by its owner.
    this.addSql(`update "tasks" set "created_by_id" = "user_id";`);
    this.addSql(`alter table "tasks" add constraint "tasks_created_by_id_foreign" foreign key ("created_by_id") references "users" ("id") on delete set null;`);
    this.addSql(`alter table "tasks" add constraint "tasks_assignee_id_foreign" foreign key ("assignee_id") references "users" ("id") on delete set null;`);
    this.addSql(`create index "tasks_category_trash_idx" on "tasks" ("category_id", "deleted_at", "id") where deleted_at is not null;`);
    this.addSql(`create index "tasks_assignee_idx" on "tasks" ("assignee_id");`);
    this.addSql(`create index "tasks_created_by_idx" on "tasks" ("created_by_id");`);
    this.addSql(`create index "tasks_category_title_idx" on "tasks" ("category_id", "title", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_category_priority_idx" on "tasks" ("category_id", "priority_rank", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_category_due_date_desc_idx" on "tasks" ("category_id", "due_date" desc nulls last, "id" desc) where deleted_at is null;`);
    this.addSql(`create index "tasks_category_due_date_idx" on "tasks" ("category_id", "due_date", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_category_updated_at_idx" on "tasks" ("category_id", "updated_at", "id") where deleted_at is null;`);
    this.addSql(`create index "tasks_category_created_at_idx" on "tasks" ("category_id", "created_at", "id") where deleted_at is null;`);
    this.addSql(`create or replace function "tasks_task_count_moved_fn"() returns trigger as \$\$ begin
  update "users" u set "task_count" = u."task_count" + moved.delta
    from (select "user_id", sum(delta)::int as delta from (
            select n."user_id", 1 as delta from new_tasks n join old_tasks o on o."id" = n."id" where o."user_id" <> n."user_id"
            union all
            select o."user_id", -1 from new_tasks n join old_tasks o on o."id" = n."id" where o."user_id" <> n."user_id") d
          group by "user_id") moved
   where u."id" = moved."user_id";   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "task_count_moved" after update on "tasks"
  referencing old table as old_tasks new table as new_tasks
  for each statement execute function "tasks_task_count_moved_fn"();`);

    this.addSql(`alter table "activity" drop constraint "activity_action_check";`);
    this.addSql(`alter table "activity" add constraint "activity_action_check" check ("action" in ('create', 'update', 'toggle', 'delete', 'restore', 'purge', 'detach', 'member_add', 'member_role', 'member_remove', 'access_granted', 'access_revoked'));`);

    this.addSql(`alter table "category_members" add constraint "category_members_category_id_foreign" foreign key ("category_id") references "categories" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "category_members" add constraint "category_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "category_members" add constraint "category_members_role_check" check ("role" in ('editor', 'viewer'));`);

    this.addSql(`alter table "category_invitations" add constraint "category_invitations_category_id_foreign" foreign key ("category_id") references "categories" ("id") on delete cascade;`);
    this.addSql(`alter table "category_invitations" add constraint "category_invitations_invited_by_id_foreign" foreign key ("invited_by_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "category_invitations" add constraint "category_invitations_invitee_id_foreign" foreign key ("invitee_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "category_invitations" add constraint "category_invitations_role_check" check ("role" in ('editor', 'viewer'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "category_members" cascade;`);
    this.addSql(`drop table if exists "category_invitations" cascade;`);

    this.addSql(`alter table "tasks" drop constraint "tasks_created_by_id_foreign";`);
    this.addSql(`alter table "tasks" drop constraint "tasks_assignee_id_foreign";`);

    this.addSql(`alter table "activity" drop constraint "activity_action_check";`);
    this.addSql(`alter table "activity" add constraint "activity_action_check" check ("action" in ('create', 'update', 'toggle', 'delete', 'restore', 'purge', 'detach'));`);

    this.addSql(`drop index "tasks_category_trash_idx";`);
    this.addSql(`drop index "tasks_assignee_idx";`);
    this.addSql(`drop index "tasks_created_by_idx";`);
    this.addSql(`drop index "tasks_category_title_idx";`);
    this.addSql(`drop index "tasks_category_priority_idx";`);
    this.addSql(`drop index "tasks_category_due_date_desc_idx";`);
    this.addSql(`drop index "tasks_category_due_date_idx";`);
    this.addSql(`drop index "tasks_category_updated_at_idx";`);
    this.addSql(`drop index "tasks_category_created_at_idx";`);
    this.addSql(`drop trigger if exists "task_count_moved" on "tasks";`);
    this.addSql(`drop function if exists "tasks_task_count_moved_fn"();`);
    this.addSql(`alter table "tasks" drop column "created_by_id", drop column "assignee_id";`);
  }

}
