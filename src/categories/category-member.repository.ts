import { EntityRepository } from '@mikro-orm/postgresql';
import { BoundValues, StatementTemplates } from '../database/statement-templates.js';
import type { CategoryMember } from './category-member.entity.js';
import type { MemberRole } from './dto/category-roles.js';

/** A membership as the access checks read it. */
export interface Membership {
  userId: string;
  role: MemberRole;
}

/**
 * The reads behind every access check, each built once by the QueryBuilder and then sent with new
 * values: a list or trash page reads the caller's memberships first, and every write to a shared
 * category's task reads its members. Built each time (em.find), the query cost several times what
 * running it costs (docs/PERFORMANCE.md, "Access reads built once").
 */
const STATEMENTS = new StatementTemplates(10);

export class CategoryMemberRepository extends EntityRepository<CategoryMember> {
  /** The categories shared with the user (where they are a member), by id, in id order. */
  async categoryIdsOf(userId: string): Promise<string[]> {
    const bound = new BoundValues();
    const where = { user: bound.bind(userId) };
    const rows = await STATEMENTS.rows(this.getEntityManager(), 'categories of a member', bound, () =>
      this.createQueryBuilder('member').select('category').where(where).orderBy({ category: 'asc' }),
    );
    return rows.map((row) => row[this.column('category')]);
  }

  /** The category's members (its owner is not one) and their roles. */
  async membersOf(categoryId: string): Promise<Membership[]> {
    const bound = new BoundValues();
    const where = { category: bound.bind(categoryId) };
    const rows = await STATEMENTS.rows(this.getEntityManager(), 'members of a category', bound, () => this.createQueryBuilder('member').select(['user', 'role']).where(where));
    return rows.map((row) => ({ userId: row[this.column('user')], role: row[this.column('role')] as MemberRole }));
  }

  /** The user's role in the category, or null when they are not a member. */
  async roleOf(categoryId: string, userId: string): Promise<MemberRole | null> {
    const bound = new BoundValues();
    const where = { category: bound.bind(categoryId), user: bound.bind(userId) };
    const [row] = await STATEMENTS.rows(this.getEntityManager(), 'role of a member', bound, () => this.createQueryBuilder('member').select('role').where(where));
    return row ? (row[this.column('role')] as MemberRole) : null;
  }

  private column(property: 'category' | 'user' | 'role'): string {
    return this.getEntityManager().getMetadata(this.entityName).properties[property].fieldNames[0];
  }
}
