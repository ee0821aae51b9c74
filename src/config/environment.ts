import { plainToInstance } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, validateSync } from 'class-validator';
import { availableParallelism } from 'node:os';
import { parseDuration } from './duration.js';
import { BooleanSetting, DurationListSetting, DurationSetting, IntegerSetting } from './setting-decorators.js';
import { IsHttpOriginList, IsPostgresUrl, IsPostgresUrlList } from './url-settings.js';
import { IsTrustProxy } from './trust-proxy.js';

/**
 * bcrypt runs on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default): more concurrent hashes
 * than pool threads only queue there, and more than cores only slow each other down.
 */
const defaultHashConcurrency = () =>
  Math.max(1, Math.min(Number(process.env.UV_THREADPOOL_SIZE) || 4, availableParallelism()));

/**
 * Every environment variable the API reads, with its default. Validated once at boot so a bad
 * value stops the process with a message naming the variable instead of failing at first use.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IntegerSetting(0, 65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Unset: an embedded PostgreSQL is started with its data under EMBEDDED_DATABASE_DIR. */
  @IsOptional()
  @IsPostgresUrl('DATABASE_URL must look like postgres://user:password@host:5432/database')
  DATABASE_URL?: string;

  /**
   * Comma-separated URLs of streaming replicas of DATABASE_URL. Set: task lists and stats read
   * from one of them (they may lag a little); everything else stays on the primary.
   */
  @IsOptional()
  @IsPostgresUrlList(
    'DATABASE_REPLICA_URLS must be a comma-separated list of postgres://user:password@host:5432/database URLs',
  )
  DATABASE_REPLICA_URLS?: string;

  /**
   * Where the change feed's LISTEN connection goes; unset: DATABASE_URL. Set it when DATABASE_URL
   * is a transaction-mode pooler (PgBouncer), which cannot keep a LISTEN: to the primary's own
   * address, or a session-mode route to it (deploy/ha-cluster.sh uses HAProxy's primary port).
   */
  @IsOptional()
  @IsPostgresUrl('DATABASE_LISTEN_URL must look like postgres://user:password@host:5432/database')
  DATABASE_LISTEN_URL?: string;

  @IntegerSetting(1, 1000)
  DATABASE_POOL_SIZE = 10;

  @IntegerSetting(0, 1000)
  DATABASE_MAX_OVERFLOW = 20;

  @IntegerSetting(100, 600_000)
  DATABASE_ACQUIRE_TIMEOUT_MS = 5_000;

  @IntegerSetting(100, 3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS = 15_000;

  @BooleanSetting()
  MIGRATE_ON_START = false;

  @IsString()
  EMBEDDED_DATABASE_DIR = '.data/postgres';

  @IntegerSetting(1024, 65535)
  EMBEDDED_DATABASE_PORT = 54329;

  @IntegerSetting(10, 15)
  BCRYPT_COST = 12;

  /** Activity entries older than this are deleted by a scheduled job. */
  @DurationSetting('90d or 2160h')
  ACTIVITY_RETENTION = '90d';

  /** Tasks in the trash longer than this are deleted for good by a scheduled job. */
  @DurationSetting('30d or 720h')
  TRASH_RETENTION = '30d';

  /** Change-feed cursors older than this answer 410 (the feed reads the activity log, kept ACTIVITY_RETENTION). */
  @DurationSetting('30d or 720h')
  CHANGES_RETENTION = '30d';

  /** A write's answer is kept this long for repeats with the same Idempotency-Key. */
  @DurationSetting('24h or 1d')
  IDEMPOTENCY_TTL = '24h';

  @DurationSetting('12h, 90m or 3600s')
  SESSION_TTL = '12h';

  @DurationSetting('30m or 1800s')
  SESSION_IDLE_TIMEOUT = '30m';

  /**
   * Which proxies may set the client address through X-Forwarded-For (src/config/trust-proxy.ts):
   * unset/false/0 none, a hop count, or a comma-separated list of addresses/CIDRs. Never `true`.
   */
  @IsTrustProxy()
  TRUST_PROXY = 'false';

  /** Login throttling (docs/SECURITY.md, "Login abuse"): failed password checks per window. */
  @IntegerSetting(1, 1_000_000)
  LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 10;

  /** Failures from one client address across every account it tries. */
  @IntegerSetting(1, 1_000_000)
  LOGIN_FAILURES_PER_ADDRESS = 100;

  /** Failures against one account from every address together: the account-wide ceiling. */
  @IntegerSetting(1, 1_000_000)
  LOGIN_FAILURES_PER_ACCOUNT = 100;

  @DurationSetting('15m or 900s')
  LOGIN_FAILURE_WINDOW = '15m';

  @IntegerSetting(1, 1_000_000)
  RATE_LIMIT_PER_MINUTE = 600;

  /** Per-user quotas: a create past one answers 403 `quota-exceeded` and writes nothing. */
  @IntegerSetting(1, 10_000_000)
  MAX_TASKS_PER_USER = 10_000;

  @IntegerSetting(1, 1_000_000)
  MAX_CATEGORIES_PER_USER = 1_000;

  /** Members of one category plus its pending invitations (the owner not counted). */
  @IntegerSetting(1, 10_000)
  MAX_MEMBERS_PER_CATEGORY = 50;

  /** Other users' categories one user may be a member of; checked when an invitation is accepted. */
  @IntegerSetting(1, 100_000)
  MAX_SHARED_CATEGORIES_PER_USER = 200;

  @IntegerSetting(1, 1_000)
  MAX_WEBHOOKS_PER_USER = 10;

  /** Delays between a webhook message's attempts (Standard Webhooks' default schedule); past the last, it fails. */
  @DurationListSetting('5s,5m,30m,2h')
  WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

  /** Delivered and failed webhook messages, with their attempts, are deleted after this. */
  @DurationSetting('7d or 168h')
  WEBHOOK_LOG_RETENTION = '7d';

  /** A receiver that has not answered within this is retried later. */
  @IntegerSetting(100, 60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** How often each instance looks for due messages (a NOTIFY also wakes it when one is queued). */
  @IntegerSetting(50, 60_000)
  WEBHOOK_POLL_INTERVAL_MS = 1_000;

  /** false: this instance queues webhook messages but leaves their delivery to instances where it is true. */
  @BooleanSetting()
  WEBHOOK_DISPATCH = true;

  /** Allows webhooks to loopback and private addresses: for tests and private networks only. */
  @BooleanSetting()
  WEBHOOK_ALLOW_PRIVATE = false;

  /** A login past this many live sessions revokes the user's oldest (by creation). */
  @IntegerSetting(1, 10_000)
  MAX_SESSIONS_PER_USER = 20;

  /** Registration attempts per client address per hour, counted before any password is hashed. */
  @IntegerSetting(1, 1_000_000)
  REGISTER_LIMIT_PER_HOUR = 20;

  /** Password hashes and comparisons (bcrypt) running at once; the rest wait in a short queue. */
  @IntegerSetting(1, 1024)
  PASSWORD_HASH_CONCURRENCY = defaultHashConcurrency();

  /** Hashes allowed to wait for a slot; past it a request answers 503 with Retry-After at once. */
  @IntegerSetting(0, 100_000)
  PASSWORD_HASH_QUEUE = 16;

  /** Unset: rate-limit counters live in this process. Set: shared by every instance. */
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must look like redis://host:6379' })
  REDIS_URL?: string;

  /** Comma-separated origins allowed by CORS; empty (the default) allows none. */
  @IsOptional()
  @IsHttpOriginList('CORS_ORIGINS must be a comma-separated list of http(s) origins')
  CORS_ORIGINS?: string;

  // --- Slow clients and shutdown (docs/SECURITY.md, "Slow clients and shutdown") ---

  /**
   * After SIGTERM, how long the instance keeps accepting and serving while readiness answers 503,
   * so the load balancer stops routing to it first. Unset: 5000 in production, 0 otherwise
   * (nothing routes by readiness in development, and Ctrl-C should stop at once): validateEnvironment
   * fills it in.
   */
  @IsOptional()
  @IntegerSetting(0, 300_000)
  SHUTDOWN_DRAIN_MS!: number;

  /** Receiving a whole request (headers and body) may take this long; then 408 and the socket closes. */
  @IntegerSetting(100, 600_000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** Receiving the request headers may take this long (slowloris); at most HTTP_REQUEST_TIMEOUT_MS. */
  @IntegerSetting(100, 600_000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /**
   * An idle keep-alive connection is closed after this long. Longer than the idle timeout of the
   * load balancer's pooled connections (60 s on AWS ALB), so the balancer closes them, never
   * racing the server with a request on a connection it is closing.
   */
  @IntegerSetting(100, 600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;
}

const PRODUCTION_SHUTDOWN_DRAIN_MS = 5_000;

/** Validates `process.env`-like input; throws one error listing every bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''),
  );
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(environment, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map(
      (error) => `  ${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
    );
    throw new Error(`Invalid environment configuration:\n${lines.join('\n')}`);
  }
  if (parseDuration(environment.CHANGES_RETENTION) > parseDuration(environment.ACTIVITY_RETENTION)) {
    throw new Error('Invalid environment configuration:\n  CHANGES_RETENTION must not be longer than ACTIVITY_RETENTION: the change feed reads the activity log');
  }
  if (environment.HTTP_HEADERS_TIMEOUT_MS > environment.HTTP_REQUEST_TIMEOUT_MS) {
    // Node's http server refuses to start with headers allowed longer than the whole request.
    throw new Error(
      'Invalid environment configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS',
    );
  }
  environment.SHUTDOWN_DRAIN_MS ??= environment.NODE_ENV === 'production' ? PRODUCTION_SHUTDOWN_DRAIN_MS : 0;
  return environment;
}
