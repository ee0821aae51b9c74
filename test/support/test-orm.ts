import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../../mikro-orm.config.js';

/** An ORM on the test database with migrations applied, for data-layer tests without HTTP. */
export async function createTestOrm(url = process.env.TEST_DATABASE_URL!, poolSize = 5): Promise<MikroORM> {
  const orm = await MikroORM.init(
    createOrmConfig({
      url,
      poolSize,
      maxOverflow: 0,
      acquireTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
      preferTs: true,
    }),
  );
  await orm.migrator.up();
  return orm;
}
