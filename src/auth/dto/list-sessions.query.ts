import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

const integer = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export const DEFAULT_SESSIONS_PAGE_SIZE = 20;

/** `limit` and `cursor` as GET /tasks takes them. */
export class ListSessionsQuery {
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: 100, default: DEFAULT_SESSIONS_PAGE_SIZE })
  @IsOptional()
  @Transform(integer)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiProperty({ required: false, description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}
