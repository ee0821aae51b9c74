import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';
import { Trim } from '../../common/transforms.js';
import { MAX_LABEL_LENGTH } from '../task-labels.js';
import { LABEL_PATTERN, LABEL_RULES } from './task-fields.js';

export const DEFAULT_LABEL_PAGE_SIZE = 50;

export class ListLabelsQuery {
  @PageLimitField(DEFAULT_LABEL_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page')
  cursor?: string;
}

export class RenameLabelDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_LABEL_LENGTH, example: 'Errands', description: `The new name: ${LABEL_RULES}` })
  @Trim()
  @IsString()
  @CharLength(1, MAX_LABEL_LENGTH)
  @Matches(LABEL_PATTERN, { message: 'name cannot contain a comma or a control character' })
  name: string;
}

export class LabelResponse {
  @ApiProperty({ example: 'errands', description: 'The spelling most of the tasks use; the routes take any spelling' })
  name: string;

  @ApiProperty({ example: 3, description: 'Live tasks of yours carrying it' })
  taskCount: number;
}

export class LabelPageResponse {
  @ApiProperty({ type: [LabelResponse] })
  items: LabelResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

export class LabelChangeResponse {
  @ApiProperty({ example: 3, description: 'Tasks of yours (in the trash too) that changed, each recorded in activity as an update' })
  tasksChanged: number;
}
