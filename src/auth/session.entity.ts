import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import { User } from '../users/user.entity.js';
import { SessionRepository } from './session.repository.js';

/** A login session. Only the SHA-256 of its bearer token is stored; the token is shown once. */
@Entity({ tableName: 'sessions', repository: () => SessionRepository })
@Index({ name: 'sessions_expires_at_idx', properties: ['expiresAt'] })
@Index({ name: 'sessions_user_id_idx', properties: ['user'] })
export class Session {
  [EntityRepositoryType]?: SessionRepository;

  [OptionalProps]?: 'createdAt' | 'lastUsedAt' | 'userAgent';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', hidden: true })
  user: Rel<User>;

  @Property({ type: 'string', length: 64, unique: 'sessions_token_hash_unique', hidden: true })
  tokenHash: string;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  lastUsedAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'string', length: 255, nullable: true })
  userAgent: string | null = null;

  constructor(user: Rel<User>, tokenHash: string, expiresAt: Date) {
    this.user = user;
    this.tokenHash = tokenHash;
    this.expiresAt = expiresAt;
  }
}
