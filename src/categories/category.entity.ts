import { Collection, EntityRepositoryType, OptionalProps, type Rel } from '@mikro-orm/core';
import {
  Check,
  Entity,
  Index,
  ManyToOne,
  OneToMany,
  PrimaryKey,
  Property,
  Unique,
} from '@mikro-orm/decorators/legacy';
import { newId, UUID_PRIMARY_KEY } from '../database/uuid-primary-key.js';
import { CategoryRepository } from './category.repository.js';
import { Task } from '../tasks/task.entity.js';
import { User } from '../users/user.entity.js';

export const DEFAULT_CATEGORY_COLOR = '#6b7280';

@Entity({ tableName: 'categories', repository: () => CategoryRepository })
@Index({ name: 'categories_user_id_idx', properties: ['user'] })
@Unique({
  name: 'categories_user_name_lower_unique',
  expression:
    'create unique index "categories_user_name_lower_unique" on "categories" ("user_id", lower("name"))',
})
@Check({ name: 'categories_color_check', expression: "color ~ '^#[0-9a-f]{6}$'" })
export class Category {
  [EntityRepositoryType]?: CategoryRepository;

  [OptionalProps]?: 'color' | 'createdAt' | 'updatedAt';

  @PrimaryKey(UUID_PRIMARY_KEY)
  id: string = newId();

  @Property({ type: 'string', length: 100 })
  name: string;

  /** `#rrggbb`, stored lower-cased. */
  @Property({ type: 'string', length: 7, default: DEFAULT_CATEGORY_COLOR })
  color: string = DEFAULT_CATEGORY_COLOR;

  @ManyToOne({ entity: () => User, deleteRule: 'cascade', hidden: true })
  user: Rel<User>;

  @OneToMany({ entity: () => Task, mappedBy: 'category', hidden: true })
  tasks = new Collection<Rel<Task>>(this);

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({
    type: 'datetime',
    columnType: 'timestamptz',
    defaultRaw: 'now()',
    onUpdate: () => new Date(),
  })
  updatedAt: Date = new Date();

  constructor(user: Rel<User>, name: string, color?: string) {
    this.user = user;
    this.name = name;
    if (color) {
      this.color = color.toLowerCase();
    }
  }
}
