import { OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import { User } from '../users/user.entity.js';
import { Category } from './category.entity.js';
import { MEMBER_ROLES, type MemberRole } from './dto/category-roles.js';

/**
 * A pending offer of a role on a category. The invitee is a user when the login named one, else
 * the e-mail address it named (an account registered later with it sees the invitation): the
 * inviter is answered the same either way, so invitations reveal nothing about who has an account.
 */
@Entity({ tableName: 'category_invitations' })
@Index({ name: 'category_invitations_category_idx', properties: ['category', 'createdAt'] })
@Index({ name: 'category_invitations_invitee_idx', properties: ['invitee'] })
@Index({ name: 'category_invitations_email_idx', properties: ['inviteeEmail'] })
export class CategoryInvitation {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @ManyToOne({ entity: () => Category, deleteRule: 'cascade' })
  category: Rel<Category>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade' })
  invitedBy: Rel<User>;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', nullable: true })
  invitee: Rel<User> | null = null;

  /** Lower-cased; set only when the login named no account. */
  @Property({ type: 'string', length: 255, nullable: true })
  inviteeEmail: string | null = null;

  /** The username or e-mail address as the owner typed it, shown back to the owner. */
  @Property({ type: 'string', length: 255 })
  login: string;

  @Enum({ items: [...MEMBER_ROLES], type: 'string' })
  role: MemberRole;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  constructor(category: Rel<Category>, invitedBy: Rel<User>, login: string, role: MemberRole, expiresAt: Date) {
    this.category = category;
    this.invitedBy = invitedBy;
    this.login = login;
    this.role = role;
    this.expiresAt = expiresAt;
  }
}
