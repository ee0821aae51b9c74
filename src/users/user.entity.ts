import { EntityRepositoryType, OptionalProps } from '@mikro-orm/core';
import {
  Check,
  Entity,
  Index,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import { DEFAULT_BCRYPT_COST, hashPassword, verifyPassword } from './password.js';
import { UserRepository } from './user.repository.js';

@Entity({ tableName: 'users', repository: () => UserRepository })
@Index({ name: 'users_created_at_idx', properties: ['createdAt'] })
@Unique({
  name: 'users_username_lower_unique',
  expression: 'create unique index "users_username_lower_unique" on "users" (lower("username"))',
})
@Check({ name: 'users_email_lower_case_check', expression: 'email = lower(email)' })
export class User {
  [EntityRepositoryType]?: UserRepository;

  [OptionalProps]?: 'isActive' | 'emailVerified' | 'createdAt' | 'updatedAt' | 'taskCount';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  /** Always stored lower-cased, so the plain unique index is case-insensitive. */
  @Property({ type: 'string', length: 255, unique: 'users_email_unique' })
  email: string;

  @Property({ type: 'string', length: 50 })
  username: string;

  @Property({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'string', length: 255, hidden: true })
  passwordHash: string;

  @Property({ type: 'boolean', default: true })
  isActive: boolean = true;

  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({
    type: 'datetime',
    columnType: 'timestamptz',
    defaultRaw: 'now()',
    onUpdate: () => new Date(),
  })
  updatedAt: Date = new Date();

  /**
   * How many tasks the user has, kept by statement triggers on `tasks` (never written by the app),
   * so the task quota is checked without counting rows. Lazy: no entity load reads or writes it.
   */
  @Property({ type: 'integer', default: 0, lazy: true, hidden: true })
  taskCount?: number;

  // No inverse collections (tasks, categories, sessions): nothing read them, and they made users
  // import the modules that depend on it. Their owning sides (ManyToOne user) keep the relations.

  constructor(email: string, username: string, name: string) {
    this.email = email.toLowerCase();
    this.username = username;
    this.name = name;
  }

  // Requests hash and compare through PasswordHasher (concurrency-capped); these two serve the
  // seed and tests, which run outside any request.
  async setPassword(plain: string, cost = DEFAULT_BCRYPT_COST): Promise<void> {
    this.passwordHash = await hashPassword(plain, cost);
  }

  async checkPassword(plain: string): Promise<boolean> {
    return verifyPassword(plain, this.passwordHash);
  }
}
