import { MikroORM, RequestContext } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Global, Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import type { FastifyInstance } from 'fastify';
import { createOrmConfig } from '../../mikro-orm.config.js';
import { DatabaseNotifications } from './database-notifications.js';
import { Environment } from '../config/environment.js';
import { databaseSettingsFrom } from './database-settings.js';
import { ExclusiveJobs } from './exclusive-job.js';
import { UnitOfWork } from './unit-of-work.js';

/**
 * The one place the ORM is built, from the root `mikro-orm.config.ts`. Feature modules register
 * their own entities with `MikroOrmModule.forFeature` and use the request-scoped EntityManager:
 * each request gets its own identity map through RequestContext. Global: every feature module
 * runs its use cases through the one UnitOfWork.
 */
@Global()
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      driver: PostgreSqlDriver,
      inject: [Environment],
      useFactory: (environment: Environment) => {
        if (!environment.DATABASE_URL) {
          throw new Error('DATABASE_URL is not set: main.ts sets it after starting the embedded database');
        }
        return {
          ...createOrmConfig({
            ...databaseSettingsFrom(environment, environment.DATABASE_URL),
            preferTs: environment.NODE_ENV === 'test',
          }),
          // onModuleInit opens the request context from a Fastify hook instead of a Nest
          // middleware, which would run every request through @fastify/middie.
          registerRequestContext: false,
        };
      },
    }),
    EventEmitterModule.forRoot(),
  ],
  providers: [UnitOfWork, ExclusiveJobs, DatabaseNotifications],
  exports: [UnitOfWork, ExclusiveJobs, DatabaseNotifications],
})
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    private readonly orm: MikroORM,
    @Inject(Environment) private readonly environment: Environment,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async onModuleInit(): Promise<void> {
    this.adapterHost.httpAdapter
      .getInstance<FastifyInstance>()
      .addHook('onRequest', (_request, _reply, done) => RequestContext.create(this.orm.em, done));
    await this.connect();
    await this.migrateIfAsked();
  }

  /**
   * MikroORM connects on first use, and the readiness probe pings only a connected ORM: without
   * this, a new instance would answer 503 to its load balancer until some request used the
   * database, so it would never get one. A database still down at boot is not fatal: readiness
   * says 503 until it answers.
   */
  private async connect(): Promise<void> {
    await this.orm.connect().catch((error: unknown) => {
      this.logger.warn(`Database not reachable yet: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Schema changes at boot are opt-in: production applies them with `npm run db:migrate`. */
  private async migrateIfAsked(): Promise<void> {
    if (!this.environment.MIGRATE_ON_START) {
      return;
    }
    const applied = await this.orm.migrator.up();
    if (applied.length > 0) {
      this.logger.log(`Applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
    }
  }
}
