import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;

/** Query strings carry text: `limit=20` becomes 20; anything else is left for IsInt to refuse. */
const integer = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

/** `limit`, as every keyset-paged list takes it: 1 to MAX_PAGE_SIZE items, `defaultSize` when absent. */
export const PageLimitField = (defaultSize: number) =>
  applyDecorators(
    ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: defaultSize }),
    IsOptional(),
    Transform(integer),
    IsInt({ message: 'limit must be an integer' }),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );

/** `cursor`: the previous page's `nextCursor`, opaque to the client. */
export const PageCursorField = (description: string) =>
  applyDecorators(ApiProperty({ required: false, description }), IsOptional(), IsString(), MaxLength(1000));
