import { EntityManager } from '@mikro-orm/postgresql';
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
import { CategoryAccessService } from './category-access.service.js';
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
    private readonly access: CategoryAccessService,
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
      await this.record([actor.userId], actor, created, 'create', categoryChanges(null, created));
      return created;
    });
    return this.get(actor.userId, category.id);
  }

  /** The caller's categories and those shared with them, by name ignoring case, then id. */
  list(userId: string): Promise<CategoryWithTaskCount[]> {
    return this.categories.readableBy(userId);
  }

  /** The categories among `ids` the user can read now, as the list answers them, for the change feed. */
  async findMany(userId: string, ids: string[]): Promise<CategoryWithTaskCount[]> {
    return ids.length === 0 ? [] : this.categories.readableBy(userId, { id: { $in: ids } });
  }

  /** Which of these categories still exist (whoever can read them): the feed tells `deleted` from `access_revoked`. */
  async existingIds(ids: string[]): Promise<Set<string>> {
    return ids.length === 0 ? new Set() : this.categories.existing(ids);
  }

  /** Any role reads a category; no role answers 404, exactly like an unknown id. */
  async get(userId: string, categoryId: string): Promise<CategoryWithTaskCount> {
    const [found] = await this.categories.readableBy(userId, { id: categoryId });
    if (!found) {
      throw new NotFoundException('No such category.');
    }
    return found;
  }

  async update(actor: RequestActor, categoryId: string, changes: UpdateCategoryDto): Promise<CategoryWithTaskCount> {
    await this.unitOfWork.run(async (em) => {
      const category = await this.findOwnedOrFail(actor.userId, categoryId, 'rename or delete it');
      const before = { name: category.name, color: category.color };
      em.assign(category, definedOnly(changes));
      const fieldChanges = categoryChanges(before, category);
      if (Object.keys(fieldChanges).length > 0) {
        await this.flushOrConflict(em);
        await this.record(await this.access.audience(categoryId), actor, category, 'update', fieldChanges);
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
      const category = await this.findOwnedOrFail(actor.userId, categoryId, 'rename or delete it');
      // Read before the memberships go with the category: everyone who saw it learns it is gone.
      const audience = await this.access.audience(categoryId);
      await this.unitOfWork.publish(new CategoryRemoving(actor, categoryId, audience));
      await this.record(audience, actor, category, 'delete', {});
      em.remove(category);
      await em.flush();
    });
  }

  /**
   * Whether the category exists and belongs to the user.
   * @deprecated the tasks module moves to CategoryAccessService.roleIn; remove once nothing calls it.
   */
  async isOwnedBy(userId: string, categoryId: string): Promise<boolean> {
    return (await this.categories.count({ id: categoryId, user: userId })) > 0;
  }

  /** Owner only: a member is answered 403 naming the owner role, anyone else 404. */
  private async findOwnedOrFail(userId: string, categoryId: string, action: string): Promise<Category> {
    await this.access.require(userId, categoryId, 'owner', action);
    return this.categories.findOneOrFail({ id: categoryId });
  }

  /** Category entries go to the stream of everyone who can see the category. */
  private record(audience: string[], actor: RequestActor, category: Category, action: 'create' | 'update' | 'delete', changes: FieldChanges) {
    return this.activity.record(audience, actor, [{ entityType: 'category', entityId: category.id, action, changes }]);
  }

  private async flushOrConflict(em: EntityManager): Promise<void> {
    try {
      await em.flush();
    } catch (error) {
      throw conflictFromUniqueViolation(error, CREATE_CONFLICTS);
    }
  }
}
