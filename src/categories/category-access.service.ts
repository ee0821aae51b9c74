import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, NotFoundException } from '@nestjs/common';
import { forbiddenRole } from '../common/errors/forbidden-role.js';
import { BoundValues, StatementTemplates } from '../database/statement-templates.js';
import { CategoryMember } from './category-member.entity.js';
import { Category } from './category.entity.js';
import { roleAtLeast, type CategoryRole, type MemberRole } from './dto/category-roles.js';

/** The memberships read, built once: every list and trash page starts with it. */
const MEMBERSHIPS = new StatementTemplates(1);

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

  /**
   * The user's role, when it is at least `needed`. No role at all answers 404, exactly as for a
   * category that does not exist; a role too weak answers 403 `forbidden` saying which is needed.
   */
  async require(userId: string, categoryId: string, needed: CategoryRole, action: string): Promise<CategoryRole> {
    const role = await this.roleIn(userId, categoryId);
    if (role === null) {
      throw new NotFoundException('No such category.');
    }
    if (!roleAtLeast(role, needed)) {
      throw forbiddenRole(needed, action);
    }
    return role;
  }

  /**
   * Who is in the category: its owner and its members with their roles (two index reads), or
   * undefined when it does not exist. One read serves a role check, the allowed assignees and
   * everyone whose stream records a change.
   */
  async people(categoryId: string): Promise<CategoryPeople | undefined> {
    const owner = await this.ownerOf(categoryId);
    if (!owner) {
      return undefined;
    }
    const members = await this.em.find(CategoryMember, { category: categoryId }, { fields: ['user', 'role'], disableIdentityMap: true });
    return new CategoryPeople(owner, new Map(members.map((member) => [member.user.id, member.role])));
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

  /** The category's members (not its owner), by id. */
  async memberIds(categoryId: string): Promise<string[]> {
    const members = await this.em.find(CategoryMember, { category: categoryId }, { fields: ['user'], disableIdentityMap: true });
    return members.map((member) => member.user.id);
  }

  /** The categories other users share with this one (where they are a member), by id. */
  async sharedWith(userId: string): Promise<string[]> {
    // em.find would build the same query on every call, at several times the cost of running it
    // (docs/PERFORMANCE.md, "List").
    const bound = new BoundValues();
    const where = { user: bound.bind(userId) };
    const { sql, params } = MEMBERSHIPS.statement('memberships', bound, () =>
      this.em.createQueryBuilder(CategoryMember, 'member').select('category').where(where).orderBy({ category: 'asc' }),
    );
    const column = this.em.getMetadata(CategoryMember).properties.category.fieldNames[0];
    const rows = await this.em.execute<Array<Record<string, string>>>(sql, params);
    return rows.map((row) => row[column]);
  }
}

/** A category's owner and members, as CategoryAccessService.people reads them. */
export class CategoryPeople {
  constructor(
    readonly ownerId: string,
    private readonly members: Map<string, MemberRole>,
  ) {}

  roleOf(userId: string): CategoryRole | null {
    return userId === this.ownerId ? 'owner' : (this.members.get(userId) ?? null);
  }

  /** The owner first, then the members: who may be assigned, and whose streams record a change. */
  get everyone(): string[] {
    return [this.ownerId, ...this.members.keys()];
  }
}
