import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, ValidateBy } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { OptionalNotNull } from '../../common/optional.js';
import { Trim } from '../../common/transforms.js';
import { TASK_PRIORITIES, TASK_STATUSES } from '../task-enums.js';
import { distinctLabels, MAX_LABEL_LENGTH, MAX_LABELS_PER_TASK } from '../task-labels.js';

/** ISO 8601 date-time with an explicit offset (`Z` or `+02:00`): a bare local time is ambiguous. */
// Only bounded repetitions ({n}, {1,6}), so no input can make it backtrack: safe-regex's
// nesting heuristic flags the optional seconds/fraction groups all the same.
// eslint-disable-next-line security/detect-unsafe-regex
export const DATE_TIME_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Years 0001 to 9999 in UTC: what PostgreSQL and ISO 8601 both read back unambiguously. */
const withinSupportedYears = (value: unknown) => {
  const year = typeof value === 'string' ? new Date(value).getUTCFullYear() : NaN;
  return year >= 1 && year <= 9999;
};

export const IsDateTimeWithOffset = (field: string) =>
  applyDecorators(
    IsISO8601({ strict: true }, { message: `${field} must be an ISO 8601 date-time` }),
    Matches(DATE_TIME_WITH_OFFSET, { message: `${field} must be a date-time with an offset, e.g. 2026-12-01T17:00:00Z` }),
    ValidateBy({
      name: 'supportedYear',
      validator: { validate: withinSupportedYears, defaultMessage: () => `${field} must fall between the years 0001 and 9999 in UTC` },
    }),
  );

interface FieldOptions {
  optional?: boolean;
}

export const TitleField = ({ optional = false }: FieldOptions = {}) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: 200, example: 'Finish report', required: !optional }),
    ...(optional ? [OptionalNotNull()] : []),
    Trim(),
    IsString(),
    CharLength(1, 200),
  );

export const DescriptionField = () =>
  applyDecorators(
    ApiProperty({ type: String, nullable: true, required: false, maxLength: 1000, example: 'Q3 numbers for the board' }),
    IsOptional(),
    IsString(),
    CharLength(0, 1000),
  );

export const StatusField = () =>
  applyDecorators(
    ApiProperty({ enum: TASK_STATUSES, required: false, example: 'in_progress', description: 'Default pending' }),
    OptionalNotNull(),
    IsIn(TASK_STATUSES),
  );

export const PriorityField = () =>
  applyDecorators(
    ApiProperty({ enum: TASK_PRIORITIES, required: false, example: 'high', description: 'Default medium' }),
    OptionalNotNull(),
    IsIn(TASK_PRIORITIES),
  );

export const DueDateField = () =>
  applyDecorators(
    ApiProperty({ type: String, format: 'date-time', nullable: true, required: false, example: '2026-12-01T17:00:00Z' }),
    IsOptional(),
    IsString(),
    IsDateTimeWithOffset('dueDate'),
  );

/** The id of another resource, or null to clear it; answered in its canonical lower-case form. */
const NullableIdField = (field: string, example: string, description: string) =>
  applyDecorators(
    ApiProperty({ type: String, format: 'uuid', nullable: true, required: false, example, description }),
    IsOptional(),
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all', { message: `${field} must be a UUID` }),
  );

/** The id of a neighbouring task in a move: optional, never null. */
export const NeighbourIdField = (field: string, description: string) =>
  applyDecorators(
    ApiProperty({ type: String, format: 'uuid', required: false, example: '0192f0c1-7b1e-7c3a-9d2e-4f5a6b7c8d9e', description }),
    OptionalNotNull(),
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('all', { message: `${field} must be a task id (a UUID)` }),
  );

export const ParentIdField = () =>
  NullableIdField(
    'parentId',
    '0192f0c1-7b1e-7c3a-9d2e-4f5a6b7c8d9e',
    'A live task you can edit, in the same category (or both in none), to make this one its subtask; at most four levels deep. null makes it a top-level task',
  );

export const CategoryIdField = () =>
  NullableIdField('categoryId', '3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b', "One of the caller's categories, or one shared with them as editor; null for none");

export const AssigneeIdField = () =>
  NullableIdField(
    'assigneeId',
    '0b5c5f0e-3a53-4a43-9f43-8b3e3e1f6a10',
    "The owner or a member of the task's category; for a task in no category, its owner. null unassigns",
  );

/**
 * A label has no comma (lists of labels are comma-separated) and no control character (NUL cannot
 * be stored; the others have no place in a short name, and MikroORM's text[] literal writes them
 * as JSON escapes that PostgreSQL would read differently).
 */
export const LABEL_PATTERN = /^[^,\p{Cc}]*$/u;
export const LABEL_RULES = `1 to ${MAX_LABEL_LENGTH} characters without a comma or control character, compared ignoring case`;

const trimmedDistinct = ({ value }: { value: unknown }) =>
  Array.isArray(value) && value.every((label) => typeof label === 'string') ? distinctLabels(value.map((label: string) => label.trim())) : value;

export const LabelsField = () =>
  applyDecorators(
    ApiProperty({
      type: [String],
      required: false,
      maxItems: MAX_LABELS_PER_TASK,
      example: ['errands', 'Q3'],
      description: `At most ${MAX_LABELS_PER_TASK} labels, each ${LABEL_RULES}; trimmed, and kept once (the first spelling). [] removes them all`,
    }),
    OptionalNotNull(),
    Transform(trimmedDistinct),
    IsArray({ message: 'labels must be an array of strings' }),
    ArrayMaxSize(MAX_LABELS_PER_TASK, { message: `labels holds at most ${MAX_LABELS_PER_TASK} labels` }),
    IsString({ each: true, message: 'each label must be a string' }),
    CharLength(1, MAX_LABEL_LENGTH, { each: true, message: `each label must be 1 to ${MAX_LABEL_LENGTH} characters long` }),
    Matches(LABEL_PATTERN, { each: true, message: 'a label cannot contain a comma or a control character' }),
  );
