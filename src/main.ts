import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateEnvironment } from './config/environment.js';
import { locateDatabase } from './database/database-location.js';
import { describeDatabaseUrl, replicaUrlsFrom } from './database/database-settings.js';
import { shutDownGracefullyOnSignals } from './health/graceful-shutdown.js';

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

  shutDownGracefullyOnSignals(app, { drainMs: environment.SHUTDOWN_DRAIN_MS, release: () => database.release() });
  // A stray rejection is a bug to log, not a reason to drop every in-flight request.
  const rejectionLogger = new Logger('UnhandledRejection');
  process.on('unhandledRejection', (reason) => {
    rejectionLogger.error(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
  });
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : `Failed: ${String(error)}`);
  process.exit(1);
});
