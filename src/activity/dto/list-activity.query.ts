import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';
import { ACTIVITY_ACTIONS, ACTIVITY_ENTITY_TYPES, type ActivityAction, type ActivityEntityType } from '../activity.entity.js';

export const DEFAULT_ACTIVITY_PAGE_SIZE = 20;

/** The query of one entity's activity: an action filter and the page. */
export class EntityActivityQuery {
  @ApiProperty({ required: false, enum: ACTIVITY_ACTIONS })
  @IsOptional()
  @IsIn(ACTIVITY_ACTIONS)
  action?: ActivityAction;

  @PageLimitField(DEFAULT_ACTIVITY_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page, with the same filters')
  cursor?: string;
}

export class ListActivityQuery extends EntityActivityQuery {
  @ApiProperty({ required: false, enum: ACTIVITY_ENTITY_TYPES })
  @IsOptional()
  @IsIn(ACTIVITY_ENTITY_TYPES)
  entityType?: ActivityEntityType;
}
