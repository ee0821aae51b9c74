import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { CategoryMember } from './category-member.entity.js';
import { Category } from './category.entity.js';
import type { CategoryRole } from './category-roles.js';

/**
 * The one place that says who may do what on a category: its owner (the category's user), or a
 * member with a role. Every check is a primary-key or (user_id, category_id) index lookup.
 */
@Injectable()
export class CategoryAccessService {
  constructor(private readonly em: EntityManager) {}

  /** The user's role on the category, or null when they have none (or it does not exist). */
  async roleIn(userId: string, categoryId: string): Promise<CategoryRole | null> {
    const category = await this.em.findOne(Category, { id: categoryId }, { fields: ['user'], disableIdentityMap: true });
    if (!category) {
      return null;
    }
    if (category.user.id === userId) {
      return 'owner';
    }
    const member = await this.em.findOne(CategoryMember, { category: categoryId, user: userId }, { fields: ['role'], disableIdentityMap: true });
    return member?.role ?? null;
  }

  /** The owner's id, or undefined when the category does not exist. */
  async ownerOf(categoryId: string): Promise<string | undefined> {
    const category = await this.em.findOne(Category, { id: categoryId }, { fields: ['user'], disableIdentityMap: true });
    return category?.user.id;
  }

  /** Everyone who sees the category's tasks: its owner first, then its members. */
  async audience(categoryId: string): Promise<string[]> {
    const owner = await this.ownerOf(categoryId);
    if (!owner) {
      return [];
    }
    const members = await this.em.find(CategoryMember, { category: categoryId }, { fields: ['user'], disableIdentityMap: true });
    return [owner, ...members.map((member) => member.user.id)];
  }

  /** The categories other users share with this one (where they are a member), by id. */
  async sharedWith(userId: string): Promise<string[]> {
    const memberships = await this.em.find(CategoryMember, { user: userId }, { fields: ['category'], orderBy: { category: 'asc' }, disableIdentityMap: true });
    return memberships.map((membership) => membership.category.id);
  }
}
