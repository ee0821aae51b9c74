import { Injectable, NotFoundException } from '@nestjs/common';
import { forbiddenRole } from '../common/errors/forbidden-role.js';
import { CategoryMemberRepository } from './category-member.repository.js';
import { CategoryRepository } from './category.repository.js';
import { roleAtLeast, type CategoryRole, type MemberRole } from './dto/category-roles.js';

/**
 * The one place that says who may do what on a category: its owner (the category's user), or a
 * member with a role. Every check is a primary-key or (user_id, category_id) index lookup.
 */
@Injectable()
export class CategoryAccessService {
  constructor(
    private readonly categories: CategoryRepository,
    private readonly members: CategoryMemberRepository,
  ) {}

  /** The user's role on the category, or null when they have none (or it does not exist). */
  async roleIn(userId: string, categoryId: string): Promise<CategoryRole | null> {
    const owner = await this.categories.ownerOf(categoryId);
    if (!owner) {
      return null;
    }
    return owner === userId ? 'owner' : this.members.roleOf(categoryId, userId);
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
    const members = await this.members.membersOf(categoryId);
    return new CategoryPeople(owner, new Map(members.map((member) => [member.userId, member.role])));
  }

  /** The owner's id, or undefined when the category does not exist. */
  async ownerOf(categoryId: string): Promise<string | undefined> {
    return this.categories.ownerOf(categoryId);
  }

  /** Everyone who sees the category's tasks: its owner first, then its members. */
  async audience(categoryId: string): Promise<string[]> {
    const owner = await this.ownerOf(categoryId);
    if (!owner) {
      return [];
    }
    return [owner, ...(await this.memberIds(categoryId))];
  }

  /** The category's members (not its owner), by id. */
  async memberIds(categoryId: string): Promise<string[]> {
    return (await this.members.membersOf(categoryId)).map((member) => member.userId);
  }

  /** The categories other users share with this one (where they are a member), by id. */
  sharedWith(userId: string): Promise<string[]> {
    return this.members.categoryIdsOf(userId);
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
