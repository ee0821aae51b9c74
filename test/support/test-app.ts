import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.setup.js';

/** The production application (AppModule, global pipe, guard and filter) on the test database. */
export async function createTestApp(): Promise<NestFastifyApplication> {
  return createApp({ logger: process.env.TEST_APP_LOGS ? undefined : false });
}

/** Empties every table; each e2e file starts from a clean database. */
export async function truncateAll(app: NestFastifyApplication): Promise<void> {
  const orm = app.get(MikroORM);
  await orm.em
    .getConnection()
    .execute('truncate table "tasks", "categories", "sessions", "users" restart identity cascade');
}
