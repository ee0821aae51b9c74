import { EntityRepository, raw } from '@mikro-orm/postgresql';
import { Task } from '../tasks/task.entity.js';
import type { Category } from './category.entity.js';

export interface CategoryWithTaskCount {
  category: Category;
  taskCount: number;
}

export class CategoryRepository extends EntityRepository<Category> {
  /** Live task counts per category of one user, in one grouped read (served by tasks_user_category_idx). */
  async countTasks(userId: string, categoryIds: string[]): Promise<Map<string, number>> {
    if (categoryIds.length === 0) {
      return new Map();
    }
    const rows = (await this.getEntityManager()
      .createQueryBuilder(Task, 'task')
      .select(['category', raw('count(*)::int as count')])
      .where({ user: userId, category: { $in: categoryIds }, deletedAt: null })
      .groupBy('category')
      .execute('all')) as Array<{ category: string; count: number }>;
    return new Map(rows.map((row) => [row.category, row.count]));
  }

  async withTaskCounts(userId: string, categories: Category[]): Promise<CategoryWithTaskCount[]> {
    const counts = await this.countTasks(userId, categories.map((category) => category.id));
    return categories.map((category) => ({ category, taskCount: counts.get(category.id) ?? 0 }));
  }
}
