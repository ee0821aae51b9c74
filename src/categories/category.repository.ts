import { EntityRepository, raw, type FilterQuery } from '@mikro-orm/postgresql';
import { BoundValues, StatementTemplates } from '../database/statement-templates.js';
import { Task } from '../tasks/task.entity.js';
import { User } from '../users/user.entity.js';
import { UserSummary } from '../users/dto/user-summary.dto.js';
import { CategoryMember } from './category-member.entity.js';
import type { Category } from './category.entity.js';
import type { CategoryRole } from './dto/category-roles.js';

/** A category as one user sees it: with its live task count, their role on it and its owner. */
export interface CategoryWithTaskCount {
  category: Category;
  taskCount: number;
  role: CategoryRole;
  owner: UserSummary;
}

/** The owner lookup, built once: every write to a task in a category starts with it (see ownerOf). */
const OWNER_STATEMENT = new StatementTemplates(1);

export class CategoryRepository extends EntityRepository<Category> {
  /**
   * The owner's id, or undefined when the category does not exist. Sent as a statement the
   * QueryBuilder built once, as CategoryMemberRepository's reads (docs/PERFORMANCE.md, "Access
   * reads built once").
   */
  async ownerOf(categoryId: string): Promise<string | undefined> {
    const bound = new BoundValues();
    const where = { id: bound.bind(categoryId) };
    const em = this.getEntityManager();
    const [row] = await OWNER_STATEMENT.rows(em, 'owner', bound, () => this.createQueryBuilder('category').select('user').where(where));
    return row?.[em.getMetadata(this.entityName).properties.user.fieldNames[0]];
  }

  /**
   * The categories the user can read (owned, or shared with them through a membership) among
   * those `where` selects, by name ignoring case, then id. Four index reads: memberships by user,
   * categories, owners by id, live task counts by category.
   */
  async readableBy(userId: string, where: FilterQuery<Category> = {}): Promise<CategoryWithTaskCount[]> {
    const em = this.getEntityManager();
    const memberships = await em.find(CategoryMember, { user: userId }, { fields: ['category', 'role'], disableIdentityMap: true });
    const roles = new Map<string, CategoryRole>(memberships.map((membership) => [membership.category.id, membership.role]));
    const readable: FilterQuery<Category> = roles.size > 0 ? { $or: [{ user: userId }, { id: { $in: [...roles.keys()] } }] } : { user: userId };
    const categories = await this.find({ $and: [readable, where] }, { orderBy: [{ [raw('lower(name)')]: 'asc' }, { id: 'asc' }] });
    if (categories.length === 0) {
      return [];
    }
    const ownerIds = [...new Set(categories.map((category) => category.user.id))];
    const owners = await em.find(User, { id: { $in: ownerIds } }, { fields: ['id', 'username', 'name'], disableIdentityMap: true });
    const ownersById = new Map(owners.map((owner) => [owner.id, UserSummary.from(owner)]));
    const counts = await this.countTasks(categories.map((category) => category.id));
    return categories.map((category) => ({
      category,
      taskCount: counts.get(category.id) ?? 0,
      role: category.user.id === userId ? 'owner' : roles.get(category.id)!,
      owner: ownersById.get(category.user.id)!,
    }));
  }

  /**
   * Live task counts per category, in one grouped read (served by the per-category partial
   * indexes): every live task in a category belongs to its owner, so no user filter is needed.
   */
  async countTasks(categoryIds: string[]): Promise<Map<string, number>> {
    const rows = (await this.getEntityManager()
      .createQueryBuilder(Task, 'task')
      .select(['category', raw('count(*)::int as count')])
      .where({ category: { $in: categoryIds }, deletedAt: null })
      .groupBy('category')
      .execute('all')) as Array<{ category: string; count: number }>;
    return new Map(rows.map((row) => [row.category, row.count]));
  }

  /** Which of these categories still exist. */
  async existing(ids: string[]): Promise<Set<string>> {
    const found = await this.find({ id: { $in: ids } }, { fields: ['id'], disableIdentityMap: true });
    return new Set(found.map((category) => category.id));
  }

  /**
   * Locks the category row until the transaction ends, so membership counts checked under it
   * cannot be raced past a limit by concurrent invitations and acceptances. `for no key update`:
   * task inserts referencing the category (key share) are not blocked.
   */
  async lock(categoryId: string): Promise<void> {
    await this.getEntityManager().execute('select 1 from categories where id = ? for no key update', [categoryId]);
  }
}
