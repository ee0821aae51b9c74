import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { CategoryResponse } from '../../categories/dto/category-response.dto.js';
import { TaskResponse } from '../../tasks/dto/task-response.dto.js';

export const CHANGE_ENTITY_TYPES = ['task', 'category'] as const;
export const DELETE_REASONS = ['trashed', 'purged', 'deleted', 'access_revoked'] as const;
export type DeleteReason = (typeof DELETE_REASONS)[number];

@ApiExtraModels(TaskResponse, CategoryResponse)
export class ChangeResponse {
  @ApiProperty({ type: 'integer', description: "Position in the caller's stream: increases in commit order, never reused" })
  seq: number;

  @ApiProperty({ format: 'date-time', description: 'When the change was committed' })
  at: string;

  @ApiProperty({ enum: CHANGE_ENTITY_TYPES })
  entityType: (typeof CHANGE_ENTITY_TYPES)[number];

  @ApiProperty({ format: 'uuid' })
  entityId: string;

  @ApiProperty({
    enum: ['upsert', 'delete'],
    description: 'upsert: the entity exists, `data` is its current representation; delete: it is gone from reads',
  })
  op: 'upsert' | 'delete';

  @ApiProperty({
    required: false,
    enum: DELETE_REASONS,
    description:
      'Only on delete: trashed (a task in the trash), purged (a task deleted for good), deleted (a category), access_revoked (it still exists but you no longer see it: a share ended, or it moved out of a shared category)',
  })
  reason?: DeleteReason;

  @ApiProperty({
    required: false,
    oneOf: [{ $ref: getSchemaPath(TaskResponse) }, { $ref: getSchemaPath(CategoryResponse) }],
    description: 'Only on upsert: the object exactly as GET answers it now',
  })
  data?: TaskResponse | CategoryResponse;
}

export class ChangesPageResponse {
  @ApiProperty({ type: [ChangeResponse], description: 'Oldest first; at most one change per entity, its latest' })
  changes: ChangeResponse[];

  @ApiProperty({ description: 'Pass back as `cursor` to get what changed next. Opaque; bound to the caller; expires with CHANGES_RETENTION (410).' })
  cursor: string;

  @ApiProperty({ description: 'More changes are already waiting: ask again at once' })
  hasMore: boolean;
}
