import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { OptionalNotNull } from '../../common/optional.js';
import { PageCursorField, PageLimitField } from '../../common/page-query-fields.js';
import { MAX_UPCOMING } from '../recurrence/recurrence-rule.js';
import type { RecurrenceInput, TaskRecurrence } from '../recurrence/task-recurrence.js';
import { IsDateTimeWithOffset } from './task-fields.js';

const REPEAT_FROM = ['due', 'completion'] as const;
const RULE_EXAMPLE = 'FREQ=WEEKLY;BYDAY=MO,WE,FR';
const RULE_DESCRIPTION =
  'An RFC 5545 RRULE value: FREQ (DAILY, WEEKLY, MONTHLY or YEARLY), INTERVAL, BYDAY (with ordinals: -1FR is the last Friday), ' +
  'BYMONTHDAY (negative from the month end), BYMONTH, BYSETPOS, WKST, COUNT and UNTIL. Occurrences keep the wall-clock time of startsAt in timeZone, across DST changes';

/** A recurrence as a create or patch sends it; null on the task stops it. */
export class RecurrenceDto implements RecurrenceInput {
  @ApiProperty({ example: RULE_EXAMPLE, maxLength: 500, description: RULE_DESCRIPTION })
  @IsString()
  @CharLength(1, 500)
  rule: string;

  @ApiProperty({ example: 'Europe/Paris', maxLength: 64, description: 'The IANA time zone the rule is read in' })
  @IsString()
  @CharLength(1, 64)
  timeZone: string;

  @ApiProperty({
    enum: REPEAT_FROM,
    required: false,
    default: 'due',
    description: 'due: the next occurrence after the current due date; completion: the next one after the moment it is completed',
  })
  @OptionalNotNull()
  @IsIn(REPEAT_FROM)
  repeatFrom?: (typeof REPEAT_FROM)[number];

  @ApiProperty({
    type: String,
    format: 'date-time',
    required: false,
    example: '2026-12-07T08:00:00Z',
    description: "The series' start (RFC 5545 DTSTART): COUNT counts from it. Default: the task's dueDate",
  })
  @OptionalNotNull()
  @IsString()
  @IsDateTimeWithOffset('recurrence.startsAt')
  startsAt?: string;
}

/** `recurrence` on create and patch: an object, or null to stop repeating. */
export const RecurrenceField = () =>
  applyDecorators(
    ApiProperty({
      type: RecurrenceDto,
      nullable: true,
      required: false,
      example: { rule: RULE_EXAMPLE, timeZone: 'Europe/Paris', repeatFrom: 'due', startsAt: '2026-12-07T08:00:00.000Z' },
      description:
        'Repeat the task: completing it records the occurrence (GET /tasks/{id}/occurrences) and moves dueDate to the next one, back to pending; ' +
        'past the rule\'s end (COUNT, UNTIL) it stays completed. Needs a dueDate. Changing dueDate alone never changes the rule; null stops it',
    }),
    IsOptional(),
    IsObject({ message: 'recurrence must be an object or null' }),
    ValidateNested(),
    Type(() => RecurrenceDto),
  );

export class RecurrenceResponse implements TaskRecurrence {
  @ApiProperty({ example: RULE_EXAMPLE, description: 'The rule, normalised (upper case, parts in a fixed order)' })
  rule: string;

  @ApiProperty({ example: 'Europe/Paris' })
  timeZone: string;

  @ApiProperty({ enum: REPEAT_FROM })
  repeatFrom: (typeof REPEAT_FROM)[number];

  @ApiProperty({ format: 'date-time', description: "The series' start: the due date the recurrence was set from, unless given" })
  startsAt: string;

  static from(recurrence: TaskRecurrence): RecurrenceResponse {
    return { rule: recurrence.rule, timeZone: recurrence.timeZone, repeatFrom: recurrence.repeatFrom, startsAt: new Date(recurrence.startsAt).toISOString() };
  }
}

export class ToggleTaskQuery {
  @ApiProperty({
    required: false,
    type: Boolean,
    default: false,
    description: 'For a recurring task: true moves it to the first occurrence after now, skipping those already past',
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'skipMissed must be true or false' })
  skipMissed?: boolean;
}

export const DEFAULT_OCCURRENCES_PAGE_SIZE = 20;

export class ListOccurrencesQuery {
  @PageLimitField(DEFAULT_OCCURRENCES_PAGE_SIZE)
  limit?: number;

  @PageCursorField('nextCursor of the previous page')
  cursor?: string;
}

export const DEFAULT_UPCOMING = 10;

export class UpcomingQuery {
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: MAX_UPCOMING, default: DEFAULT_UPCOMING })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value))
  @IsInt({ message: 'count must be an integer' })
  @Min(1)
  @Max(MAX_UPCOMING, { message: `count must not be greater than ${MAX_UPCOMING}` })
  count?: number;
}

export class OccurrenceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'The due date the occurrence had' })
  dueDate: string;

  @ApiProperty({ format: 'date-time', description: 'When it was completed' })
  completedAt: string;

  static from(occurrence: { dueDate: Date | string; completedAt: Date | string }): Omit<OccurrenceResponse, 'id'> {
    return { dueDate: new Date(occurrence.dueDate).toISOString(), completedAt: new Date(occurrence.completedAt).toISOString() };
  }
}

export class OccurrencePageResponse {
  @ApiProperty({ type: [OccurrenceResponse], description: 'Most recently completed first' })
  items: OccurrenceResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

export class UpcomingItem {
  @ApiProperty({ format: 'date-time', example: '2026-12-07T08:00:00.000Z' })
  dueDate: string;
}

export class UpcomingResponse {
  @ApiProperty({
    type: [UpcomingItem],
    description: 'The current due date, then those the rule gives after it (each occurrence taken as completed on time); empty for a completed task or one without a due date',
  })
  items: UpcomingItem[];
}
