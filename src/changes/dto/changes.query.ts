import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_CHANGES_LIMIT = 100;
export const MAX_CHANGES_LIMIT = 500;
export const MAX_WAIT_SECONDS = 30;

const integer = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export class ChangesQuery {
  @ApiProperty({
    required: false,
    description: 'The `cursor` of the previous answer. Without it, the answer is an empty page positioned at now.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;

  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: MAX_CHANGES_LIMIT, default: DEFAULT_CHANGES_LIMIT })
  @IsOptional()
  @Transform(integer)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_CHANGES_LIMIT)
  limit?: number;

  @ApiProperty({
    required: false,
    type: 'integer',
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    default: 0,
    description: 'With a cursor: when nothing changed after it, hold the answer up to this many seconds until something does (long-poll)',
  })
  @IsOptional()
  @Transform(integer)
  @IsInt({ message: 'wait must be an integer' })
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;
}
