import { ApiProperty } from '@nestjs/swagger';
import type { CategoryWithTaskCount } from '../category.repository.js';

export class CategoryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Work' })
  name: string;

  @ApiProperty({ example: '#3b82f6' })
  color: string;

  @ApiProperty({ description: 'Tasks in this category', example: 3 })
  taskCount: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  static from({ category, taskCount }: CategoryWithTaskCount): CategoryResponse {
    return {
      id: category.id,
      name: category.name,
      color: category.color,
      taskCount,
      createdAt: category.createdAt.toISOString(),
      updatedAt: category.updatedAt.toISOString(),
    };
  }
}

export class CategoryListResponse {
  @ApiProperty({ type: [CategoryResponse] })
  items: CategoryResponse[];
}
