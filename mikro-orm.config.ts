import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { ActivityStream } from './src/activity/activity-stream.entity.js';
import { Activity } from './src/activity/activity.entity.js';
import { Session } from './src/auth/session.entity.js';
import { Category } from './src/categories/category.entity.js';
import { CategoryInvitation } from './src/categories/category-invitation.entity.js';
import { CategoryMember } from './src/categories/category-member.entity.js';
import { Task } from './src/tasks/task.entity.js';
import { TaskOccurrence } from './src/tasks/recurrence/task-occurrence.entity.js';
import { IdempotencyRecord } from './src/idempotency/idempotency-record.entity.js';
import { WebhookAttempt } from './src/webhooks/webhook-attempt.entity.js';
import { WebhookMessage } from './src/webhooks/webhook-message.entity.js';
import { Webhook } from './src/webhooks/webhook.entity.js';
import { LoginThrottle } from './src/users/login-throttle.entity.js';
import { User } from './src/users/user.entity.js';

export interface DatabaseSettings {
  url: string;
  /** Streaming replicas of `url`; only reads that ask for the 'read' connection use them. */
  replicaUrls?: string[];
  poolSize: number;
  maxOverflow: number;
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
  /** Load migrations from the TypeScript sources (tests, CLI) instead of `dist/`. */
  preferTs?: boolean;
}

const SSL_MODES_THAT_ENCRYPT = new Set(['require', 'verify-ca', 'verify-full']);

/**
 * `pg` gets the host, user and database from MikroORM, which drops the URL's query string, so
 * `sslmode` has to be translated here: hosted PostgreSQL (Neon, RDS...) refuses plain connections.
 */
export function sslOptionsFor(url: string) {
  const mode = new URL(url).searchParams.get('sslmode');
  if (!mode || !SSL_MODES_THAT_ENCRYPT.has(mode)) {
    return undefined;
  }
  return { rejectUnauthorized: mode === 'verify-full' || mode === 'verify-ca' };
}

/** The one ORM configuration: the app, the migration runner and the tests all build from it. */
export function createOrmConfig(settings: DatabaseSettings): Options {
  const driverOptionsFor = (url: string) => ({
    connectionTimeoutMillis: settings.acquireTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    ssl: sslOptionsFor(url),
  });
  return defineConfig({
    clientUrl: settings.url,
    entities: [User, Session, LoginThrottle, Category, CategoryMember, CategoryInvitation, Task, TaskOccurrence, Activity, ActivityStream, IdempotencyRecord, Webhook, WebhookMessage, WebhookAttempt],
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    preferTs: settings.preferTs,
    pool: { min: 0, max: settings.poolSize + settings.maxOverflow, idleTimeoutMillis: 30_000 },
    driverOptions: driverOptionsFor(settings.url),
    replicas: (settings.replicaUrls ?? []).map((replicaUrl, index) => ({
      name: `replica-${index + 1}`,
      clientUrl: replicaUrl,
      driverOptions: driverOptionsFor(replicaUrl),
    })),
    // MikroORM would send every SELECT outside a transaction to a replica, including the session
    // lookup right after login and the read-back after a write. Replicas serve only the queries
    // that ask for the 'read' connection (task lists and stats), chosen one by one.
    preferReadReplicas: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'dist/migrations',
      pathTs: 'migrations',
      glob: '!(*.d).{js,ts}',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      snapshotName: '.snapshot-tasktracker',
      // Only `db:migration:create` writes the committed snapshot, never a run against some database.
      snapshotOnMigrate: false,
      silent: true,
    },
    // Entities are serialised through explicit response DTOs, never by reflection over the ORM.
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
  });
}

/** Used by the `mikro-orm` CLI only; the app passes its validated settings instead. */
export default createOrmConfig({
  url: process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:54329/tasktracker',
  poolSize: 2,
  maxOverflow: 0,
  acquireTimeoutMs: 5_000,
  statementTimeoutMs: 60_000,
  preferTs: true,
});
