import { EntityRepository } from '@mikro-orm/postgresql';
import type { Category } from './category.entity.js';

export interface CategoryWithTaskCount {
  category: Category;
  taskCount: number;
}

export class CategoryRepository extends EntityRepository<Category> {
  /** Task counts per category of one user, in one grouped query (served by tasks_user_category_idx). */
  async countTasks(userId: string, categoryIds: string[]): Promise<Map<string, number>> {
    if (categoryIds.length === 0) {
      return new Map();
    }
    const rows = await this.getEntityManager().execute<{ category_id: string; count: number }[]>(
      `select category_id, count(*)::int as count from tasks
        where user_id = ? and category_id in (${categoryIds.map(() => '?').join(', ')}) group by category_id`,
      [userId, ...categoryIds],
    );
    return new Map(rows.map((row) => [row.category_id, row.count]));
  }

  async withTaskCounts(userId: string, categories: Category[]): Promise<CategoryWithTaskCount[]> {
    const counts = await this.countTasks(userId, categories.map((category) => category.id));
    return categories.map((category) => ({ category, taskCount: counts.get(category.id) ?? 0 }));
  }
}
