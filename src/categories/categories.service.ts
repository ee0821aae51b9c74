import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ActivityService } from '../activity/activity.service.js';
import type { FieldChanges } from '../activity/activity.entity.js';
import type { RequestActor } from '../common/actor.js';
import { definedOnly } from '../common/defined-only.js';
import { quotaExceeded } from '../common/errors/quota-exceeded.js';
import { ID_TAKEN } from '../common/client-chosen-id.js';
import { conflictFromUniqueViolation } from '../common/errors/unique-violation.js';
import { Environment } from '../config/environment.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { User } from '../users/user.entity.js';
import { CategoryRemoving } from './category-events.js';
import { Category } from './category.entity.js';
import { CategoryRepository, type CategoryWithTaskCount } from './category.repository.js';
import type { CreateCategoryDto } from './dto/create-category.dto.js';
import type { UpdateCategoryDto } from './dto/update-category.dto.js';

const CREATE_CONFLICTS = {
  categories_user_name_lower_unique: { field: 'name', detail: 'A category with this name already exists.' },
  categories_pkey: ID_TAKEN,
};

const TRACKED_FIELDS = ['name', 'color'] as const;

/** The tracked fields that differ, as the activity log records them; `before` null for a creation. */
function categoryChanges(before: Pick<Category, 'name' | 'color'> | null, after: Pick<Category, 'name' | 'color'>): FieldChanges {
  return Object.fromEntries(
    TRACKED_FIELDS.filter((field) => before?.[field] !== after[field]).map((field) => [field, { from: before?.[field] ?? null, to: after[field] }]),
  );
}

@Injectable()
export class CategoriesService {
  constructor(
    private readonly em: EntityManager,
    private readonly categories: CategoryRepository,
    private readonly activity: ActivityService,
    private readonly unitOfWork: UnitOfWork,
    @Inject(Environment) private readonly environment: Environment,
  ) {}

  async create(actor: RequestActor, input: CreateCategoryDto): Promise<CategoryWithTaskCount> {
    const limit = this.environment.MAX_CATEGORIES_PER_USER;
    const category = await this.unitOfWork.run(async (em) => {
      // Locking the owner's row serialises one user's creations (tasks and logins take the same
      // lock), so the count below cannot be raced past the quota. Creating categories is rare
      // enough for a count; tasks keep a counter instead (TaskRepository.insertWithinQuota).
      await em.execute('select 1 from users where id = ? for no key update', [actor.userId]);
      if ((await em.count(Category, { user: actor.userId })) >= limit) {
        throw quotaExceeded(limit, 'categories');
      }
      const created = new Category(em.getReference(User, actor.userId), input.name, input.color);
      created.id = input.id ?? created.id;
      em.persist(created);
      await this.flushOrConflict(em);
      await this.record(actor, created, 'create', categoryChanges(null, created));
      return created;
    });
    return { category, taskCount: 0 };
  }

  async list(userId: string): Promise<CategoryWithTaskCount[]> {
    const categories = await this.categories.find({ user: userId }, { orderBy: [{ [raw('lower(name)')]: 'asc' }, { id: 'asc' }] });
    return this.categories.withTaskCounts(userId, categories);
  }

  /** The owner's categories among `ids`, with their task counts, for the change feed; gone ones are absent. */
  async findMany(userId: string, ids: string[]): Promise<CategoryWithTaskCount[]> {
    return ids.length === 0 ? [] : this.categories.withTaskCounts(userId, await this.categories.find({ user: userId, id: { $in: ids } }));
  }

  async get(userId: string, categoryId: string): Promise<CategoryWithTaskCount> {
    const [found] = await this.categories.withTaskCounts(userId, [await this.findOwnedOrFail(userId, categoryId)]);
    return found;
  }

  async update(actor: RequestActor, categoryId: string, changes: UpdateCategoryDto): Promise<CategoryWithTaskCount> {
    await this.unitOfWork.run(async (em) => {
      const category = await this.findOwnedOrFail(actor.userId, categoryId);
      const before = { name: category.name, color: category.color };
      em.assign(category, definedOnly(changes));
      const fieldChanges = categoryChanges(before, category);
      if (Object.keys(fieldChanges).length > 0) {
        await this.flushOrConflict(em);
        await this.record(actor, category, 'update', fieldChanges);
      }
    });
    return this.get(actor.userId, categoryId);
  }

  /**
   * Its tasks stay, uncategorised: the tasks module detaches them (new versions, activity) on
   * CategoryRemoving, in this same transaction.
   */
  async remove(actor: RequestActor, categoryId: string): Promise<void> {
    await this.unitOfWork.run(async (em) => {
      const category = await this.findOwnedOrFail(actor.userId, categoryId);
      await this.unitOfWork.publish(new CategoryRemoving(actor, categoryId, [actor.userId]));
      await this.record(actor, category, 'delete', {});
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

  private record(actor: RequestActor, category: Category, action: 'create' | 'update' | 'delete', changes: FieldChanges) {
    return this.activity.record(actor.userId, actor, [{ entityType: 'category', entityId: category.id, action, changes }]);
  }

  private async flushOrConflict(em: EntityManager): Promise<void> {
    try {
      await em.flush();
    } catch (error) {
      throw conflictFromUniqueViolation(error, CREATE_CONFLICTS);
    }
  }
}
