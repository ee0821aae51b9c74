import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Failed password checks in a fixed window (LOGIN_FAILURE_WINDOW), one row per throttle key
 * (see LoginThrottleService). They live in PostgreSQL so every API instance sees the same counts.
 */
@Entity({ tableName: 'login_throttles' })
@Index({ name: 'login_throttles_window_started_at_idx', properties: ['windowStartedAt'] })
export class LoginThrottle {
  /**
   * `account:user:<id>` or `account:login:<SHA-256 of an unknown login>` (per account), `client:<address>`
   * (per address), or `<account key>|client:<address>` (per account and address).
   */
  @PrimaryKey({ type: 'string', length: 300 })
  key: string;

  @Property({ type: 'integer' })
  failures: number;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  windowStartedAt: Date;
}
