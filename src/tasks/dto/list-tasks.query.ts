import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';
import { NoNulCharacters } from '../../common/unsafe-input.js';
import { Trim } from '../../common/transforms.js';
import { TASK_PRIORITIES, TASK_STATUSES, type TaskPriority, type TaskStatus } from '../task-enums.js';
import { TASK_SORTS, type TaskSort } from '../task-sort.js';
import { LABEL_MATCHES, type LabelMatch } from '../task-list-conditions.js';
import { MAX_LABEL_LENGTH, MAX_LABELS_PER_TASK } from '../task-labels.js';
import { IsDateTimeWithOffset, LABEL_PATTERN, LABEL_RULES } from './task-fields.js';

/**
 * A list parameter arrives as `status=a,b` (OpenAPI `style: form, explode: false`) or repeated,
 * `status=a&status=b` (what openapi-fetch and most generated clients send; Fastify's parser gives an
 * array); both, mixed, give one de-duplicated list.
 */
const commaList = ({ value }: { value: unknown }) => {
  const parts = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(parts) || !parts.every((part) => typeof part === 'string')) {
    return value;
  }
  return [...new Set(parts.flatMap((part: string) => part.split(',').map((item) => item.trim())))];
};

/** OpenAPI for a list parameter: an array, serialised comma-separated (the repeated form works too). */
const listParameter = (name: string, values: readonly string[], example: string[]) =>
  ({
    required: false,
    isArray: true,
    enum: values,
    style: 'form',
    explode: false,
    maxItems: values.length,
    example,
    description: `Comma-separated (\`${values.join(',')}\`) or repeated (\`${name}=${values[0]}&${name}=${values[1]}\`): either matches any of the values`,
  }) as const;
const booleanFlag = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

const TASK_SCOPES = ['own', 'shared', 'all'] as const;

/** Which tasks a list or the stats cover; `all` by default. */
const ScopeField = () =>
  applyDecorators(
    ApiProperty({
      required: false,
      enum: TASK_SCOPES,
      default: 'all',
      description: 'own: your private tasks and those in your categories; shared: those in categories shared with you; all: both',
    }),
    IsOptional(),
    IsIn(TASK_SCOPES, { message: `scope must be one of ${TASK_SCOPES.join(', ')}` }),
  );

const ME_NONE_OR_UUID = /^(me|none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const UUID_OR_NONE = /^(none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** OpenAPI for the labels filter, serialised like the other list parameters. */
const LABELS_PARAMETER = {
  required: false,
  isArray: true,
  type: String,
  style: 'form',
  explode: false,
  maxItems: MAX_LABELS_PER_TASK,
  example: ['errands', 'q3'],
  description: `Labels (${LABEL_RULES}), comma-separated or repeated; see labelMatch`,
} as const;

export const DEFAULT_PAGE_SIZE = 20;

export class ListTasksQuery {
  @ApiProperty(listParameter('status', TASK_STATUSES, ['pending', 'in_progress']))
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(TASK_STATUSES.length)
  @IsIn(TASK_STATUSES, { each: true, message: `status must be a comma-separated list of ${TASK_STATUSES.join(', ')}` })
  status?: TaskStatus[];

  @ApiProperty(listParameter('priority', TASK_PRIORITIES, ['high']))
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(TASK_PRIORITIES.length)
  @IsIn(TASK_PRIORITIES, { each: true, message: `priority must be a comma-separated list of ${TASK_PRIORITIES.join(', ')}` })
  priority?: TaskPriority[];

  @ApiProperty({ required: false, description: 'A category id, or `none` for uncategorised tasks' })
  @IsOptional()
  @Matches(UUID_OR_NONE, { message: 'categoryId must be a UUID or "none"' })
  categoryId?: string;

  @ApiProperty({ required: false, description: 'A task id (its direct subtasks), or `none` for top-level tasks only' })
  @IsOptional()
  @Matches(UUID_OR_NONE, { message: 'parentId must be a UUID or "none"' })
  parentId?: string;

  @ApiProperty({ required: false, example: 'me', description: '`me`, `none` (unassigned) or a user id' })
  @IsOptional()
  @Matches(ME_NONE_OR_UUID, { message: 'assignee must be me, none or a user id' })
  assignee?: string;

  @ApiProperty(LABELS_PARAMETER)
  @IsOptional()
  @Transform(commaList)
  @ArrayMaxSize(MAX_LABELS_PER_TASK, { message: `labels takes at most ${MAX_LABELS_PER_TASK} labels` })
  @IsString({ each: true })
  @CharLength(1, MAX_LABEL_LENGTH, { each: true, message: `each label must be 1 to ${MAX_LABEL_LENGTH} characters long` })
  @Matches(LABEL_PATTERN, { each: true, message: 'a label cannot contain a comma or a control character' })
  labels?: string[];

  @ApiProperty({ required: false, enum: LABEL_MATCHES, default: 'any', description: 'any: tasks with at least one of the labels; all: tasks with every one' })
  @IsOptional()
  @IsIn(LABEL_MATCHES, { message: `labelMatch must be one of ${LABEL_MATCHES.join(', ')}` })
  labelMatch?: LabelMatch;

  @ScopeField()
  scope?: (typeof TASK_SCOPES)[number];

  @ApiProperty({ required: false, format: 'date-time', description: 'Due strictly before this instant' })
  @IsOptional()
  @IsString()
  @IsDateTimeWithOffset('dueBefore')
  dueBefore?: string;

  @ApiProperty({ required: false, format: 'date-time', description: 'Due strictly after this instant' })
  @IsOptional()
  @IsString()
  @IsDateTimeWithOffset('dueAfter')
  dueAfter?: string;

  @ApiProperty({ required: false, type: Boolean, description: 'true: due in the past and not completed' })
  @IsOptional()
  @Transform(booleanFlag)
  @IsBoolean({ message: 'overdue must be true or false' })
  overdue?: boolean;

  @ApiProperty({ required: false, minLength: 1, maxLength: 200, description: 'Case-insensitive text in title or description' })
  @IsOptional()
  @Trim()
  @IsString()
  @NoNulCharacters()
  @CharLength(1, 200)
  q?: string;

  @ApiProperty({ required: false, enum: TASK_SORTS, default: '-createdAt', description: 'Leading `-` sorts descending; tasks without a due date come last either way' })
  @IsOptional()
  @IsIn(TASK_SORTS)
  sort?: TaskSort;

  @PageLimitField(DEFAULT_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page, with the same filters and sort')
  cursor?: string;

  @ApiProperty({ required: false, type: Boolean, description: 'true adds `total` (one more query)' })
  @IsOptional()
  @Transform(booleanFlag)
  @IsBoolean({ message: 'includeTotal must be true or false' })
  includeTotal?: boolean;
}

export class TaskStatsQuery {
  @ApiProperty({ required: false, default: 'UTC', example: 'Europe/Paris', description: 'IANA time zone deciding what "today" is' })
  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(64)
  tz?: string;

  @ScopeField()
  scope?: (typeof TASK_SCOPES)[number];
}
