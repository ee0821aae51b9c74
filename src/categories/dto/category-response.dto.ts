import { ApiProperty } from '@nestjs/swagger';
import { UserSummary } from '../../users/dto/user-summary.dto.js';
import type { CategoryWithTaskCount } from '../category.repository.js';
import { CATEGORY_ROLES, type CategoryRole } from './category-roles.js';

export class CategoryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Work' })
  name: string;

  @ApiProperty({ example: '#3b82f6' })
  color: string;

  @ApiProperty({ description: 'Live tasks in this category (whoever created them)', example: 3 })
  taskCount: number;

  @ApiProperty({ enum: CATEGORY_ROLES, example: 'owner', description: "The caller's role: owner, or editor/viewer of a category shared with them" })
  role: CategoryRole;

  @ApiProperty({ type: UserSummary, description: 'Who owns the category (the caller, when role is owner)' })
  owner: UserSummary;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  static from({ category, taskCount, role, owner }: CategoryWithTaskCount): CategoryResponse {
    return {
      id: category.id,
      name: category.name,
      color: category.color,
      taskCount,
      role,
      owner,
      createdAt: category.createdAt.toISOString(),
      updatedAt: category.updatedAt.toISOString(),
    };
  }
}

export class CategoryListResponse {
  @ApiProperty({ type: [CategoryResponse], description: "The caller's own categories and those shared with them, by name ignoring case" })
  items: CategoryResponse[];
}
