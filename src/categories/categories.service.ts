import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { definedOnly } from '../common/defined-only.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { conflictFromUniqueViolation } from '../common/errors/unique-violation.js';
import { Environment } from '../config/environment.js';
import { User } from '../users/user.entity.js';
import { Category } from './category.entity.js';
import { CategoryRepository, type CategoryWithTaskCount } from './category.repository.js';
import type { CreateCategoryDto } from './dto/create-category.dto.js';
import type { UpdateCategoryDto } from './dto/update-category.dto.js';

const NAME_CONFLICT = {
  categories_user_name_lower_unique: { field: 'name', detail: 'A category with this name already exists.' },
};

@Injectable()
export class CategoriesService {
  constructor(
    private readonly em: EntityManager,
    private readonly categories: CategoryRepository,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(userId: string, input: CreateCategoryDto): Promise<CategoryWithTaskCount> {
    const limit = this.environment.MAX_CATEGORIES_PER_USER;
    const category = await this.em.transactional(async (em) => {
      // Locking the owner's row serialises one user's creations (tasks and logins take the same
      // lock), so the count below cannot be raced past the quota. Creating categories is rare
      // enough for a count; tasks keep a counter instead (TaskRepository.insertRow).
      await em.execute('select 1 from users where id = ? for no key update', [userId]);
      if ((await em.count(Category, { user: userId })) >= limit) {
        throw quotaExceeded(limit, 'categories');
      }
      const created = new Category(em.getReference(User, userId), input.name, input.color);
      em.persist(created);
      await this.flushOrConflict(em);
      return created;
    });
    return { category, taskCount: 0 };
  }

  async list(userId: string): Promise<CategoryWithTaskCount[]> {
    const categories = await this.categories.find({ user: userId }, { orderBy: [{ [raw('lower(name)')]: 'asc' }, { id: 'asc' }] });
    return this.categories.withTaskCounts(userId, categories);
  }

  async get(userId: string, categoryId: string): Promise<CategoryWithTaskCount> {
    const [found] = await this.categories.withTaskCounts(userId, [await this.findOwnedOrFail(userId, categoryId)]);
    return found;
  }

  async update(userId: string, categoryId: string, changes: UpdateCategoryDto): Promise<CategoryWithTaskCount> {
    const category = await this.findOwnedOrFail(userId, categoryId);
    this.em.assign(category, definedOnly(changes));
    await this.flushOrConflict(this.em);
    return this.get(userId, categoryId);
  }

  /**
   * Its tasks stay, uncategorised. They are detached here rather than by ON DELETE SET NULL
   * alone so their version (and ETag) changes with their representation; one transaction.
   */
  async remove(userId: string, categoryId: string): Promise<void> {
    const category = await this.findOwnedOrFail(userId, categoryId);
    await this.em.transactional(async (em) => {
      await em.execute(
        `update tasks set category_id = null, version = version + 1, updated_at = now()
          where user_id = ? and category_id = ?`,
        [userId, categoryId],
      );
      em.remove(category);
      await em.flush();
    });
  }

  /** Whether the category exists and belongs to the user: tasks may only point at their own. */
  async isOwnedBy(userId: string, categoryId: string): Promise<boolean> {
    return (await this.categories.count({ id: categoryId, user: userId })) > 0;
  }

  /** Another user's category answers exactly like a missing one. */
  private async findOwnedOrFail(userId: string, categoryId: string): Promise<Category> {
    const category = await this.categories.findOne({ id: categoryId, user: userId });
    if (!category) {
      throw new NotFoundException('No such category.');
    }
    return category;
  }

  private async flushOrConflict(em: EntityManager): Promise<void> {
    try {
      await em.flush();
    } catch (error) {
      throw conflictFromUniqueViolation(error, NAME_CONFLICT);
    }
  }
}
