import type { MikroORM } from '@mikro-orm/postgresql';
import { dropDatabase, ensureDatabaseExists, withDatabaseName } from './support/test-database.js';
import { createTestOrm } from './support/test-orm.js';

/** A database of its own, so taking the schema down does not disturb the other suites. */
const url = withDatabaseName(process.env.TEST_DATABASE_URL!, 'tasktracker_test_migrations');
let orm: MikroORM;

/** Columns, constraints and indexes of the public schema, in a stable order. */
async function describeSchema(): Promise<string[]> {
  const connection = orm.em.getConnection();
  const columns = await connection.execute(
    `select table_name, column_name, data_type, is_nullable, column_default, generation_expression
       from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
  );
  const constraints = await connection.execute(
    `select conrelid::regclass::text as table_name, conname, pg_get_constraintdef(oid) as definition
       from pg_constraint where connamespace = 'public'::regnamespace order by conname`,
  );
  const indexes = await connection.execute(
    `select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`,
  );
  return [...columns, ...constraints, ...indexes].map((row) => JSON.stringify(row));
}

beforeAll(async () => {
  await dropDatabase(url);
  await ensureDatabaseExists(url);
  orm = await createTestOrm(url);
});

afterAll(async () => {
  await orm.close();
  await dropDatabase(url);
});

describe('migrations', () => {
  it('up -> down -> up gives the same schema, and down leaves no table behind', async () => {
    const first = await describeSchema();
    expect(first.length).toBeGreaterThan(0);

    await orm.migrator.down({ to: 0 });
    const tables = await orm.em
      .getConnection()
      .execute(`select table_name from information_schema.tables where table_schema = 'public' and table_name <> 'mikro_orm_migrations'`);
    expect(tables).toEqual([]);

    await orm.migrator.up();
    expect(await describeSchema()).toEqual(first);
  });

  it('matches the entities: no pending change against the snapshot or the live schema', async () => {
    expect(await orm.migrator.checkSchema()).toBe(false);
    const diff = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false });
    expect(diff.up.trim()).toBe('');
  });

  it('creates every constraint and index the access patterns need', async () => {
    const schema = (await describeSchema()).join('\n');
    for (const name of [
      'users_email_unique',
      'users_username_lower_unique',
      'users_created_at_idx',
      'users_email_lower_case_check',
      'categories_user_name_lower_unique',
      'categories_user_id_idx',
      'categories_color_check',
      'tasks_status_check',
      'tasks_priority_check',
      'tasks_user_created_at_idx',
      'tasks_user_status_idx',
      'tasks_user_priority_idx',
      'tasks_user_due_date_idx',
      'tasks_user_due_date_desc_idx',
      'tasks_user_category_idx',
      'tasks_user_trash_idx',
      'tasks_trash_deleted_at_idx',
      'activity_user_seq_unique',
      'activity_user_entity_seq_idx',
      'activity_at_idx',
      'sessions_token_hash_unique',
      'sessions_expires_at_idx',
    ]) {
      expect(schema).toContain(`"${name}"`);
    }
    expect(schema).toMatch(/tasks_user_id_foreign.*ON DELETE CASCADE/);
    expect(schema).toMatch(/tasks_category_id_foreign.*ON DELETE SET NULL/);
    expect(schema).toMatch(/sessions_user_id_foreign.*ON DELETE CASCADE/);
    expect(schema).toMatch(/categories_user_id_foreign.*ON DELETE CASCADE/);
    expect(schema).not.toMatch(/timestamp without time zone/);
  });
});
