import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.setup.js';

const discardLogs = { write: () => undefined };

/**
 * The production application (AppModule, global pipe, guards and filter) on the test database.
 * Logs are discarded unless TEST_APP_LOGS is set or the test captures them.
 */
export async function createTestApp(logDestination?: DestinationStream): Promise<NestFastifyApplication> {
  return createApp({ logDestination: logDestination ?? (process.env.TEST_APP_LOGS ? undefined : discardLogs) });
}

/** Empties every table; each e2e file starts from a clean database. */
export async function truncateAll(app: NestFastifyApplication): Promise<void> {
  const orm = app.get(MikroORM);
  await orm.em
    .getConnection()
    .execute('truncate table "tasks", "categories", "sessions", "users", "login_throttles" restart identity cascade');
}
