import { EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, Property } from '@mikro-orm/decorators/legacy';
import { User } from '../users/user.entity.js';
import { CategoryMemberRepository } from './category-member.repository.js';
import { Category } from './category.entity.js';
import { MEMBER_ROLES, type MemberRole } from './dto/category-roles.js';

/**
 * A user other than the owner who may read (viewer) or also write (editor) the category's tasks.
 * Deleting the category or the user deletes the membership with it: access ends in that commit.
 */
@Entity({ tableName: 'category_members', repository: () => CategoryMemberRepository })
// "Which categories are shared with me": the scope=shared list and every access check by user.
@Index({ name: 'category_members_user_idx', properties: ['user', 'category'] })
export class CategoryMember {
  [EntityRepositoryType]?: CategoryMemberRepository;

  [OptionalProps]?: 'createdAt';

  @ManyToOne({ entity: () => Category, primary: true, deleteRule: 'cascade' })
  category: Rel<Category>;

  @ManyToOne({ entity: () => User, primary: true, deleteRule: 'cascade' })
  user: Rel<User>;

  @Enum({ items: [...MEMBER_ROLES], type: 'string' })
  role: MemberRole;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  constructor(category: Rel<Category>, user: Rel<User>, role: MemberRole) {
    this.category = category;
    this.user = user;
    this.role = role;
  }
}
