import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Failed-login counters, one row per account or client address, in a fixed 15-minute window.
 * They live in PostgreSQL so every API instance sees the same counts.
 */
@Entity({ tableName: 'login_throttles' })
@Index({ name: 'login_throttles_window_started_at_idx', properties: ['windowStartedAt'] })
export class LoginThrottle {
  /** `account:user:<id>`, `account:login:<unknown login>` or `client:<address>`. */
  @PrimaryKey({ type: 'string', length: 300 })
  key: string;

  @Property({ type: 'integer' })
  failures: number;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  windowStartedAt: Date;
}
