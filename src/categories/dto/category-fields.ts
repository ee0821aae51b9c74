import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { OptionalNotNull } from '../../common/optional.js';
import { Trim, TrimLowerCase } from '../../common/transforms.js';

export const COLOR_PATTERN = /^#[0-9a-f]{6}$/;

export const CategoryNameField = ({ optional = false } = {}) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: 100, example: 'Work', required: !optional, description: 'Unique per user, case-insensitively' }),
    ...(optional ? [OptionalNotNull()] : []),
    Trim(),
    IsString(),
    CharLength(1, 100),
  );

export const CategoryColorField = () =>
  applyDecorators(
    ApiProperty({ pattern: '^#[0-9a-fA-F]{6}$', example: '#3b82f6', required: false, description: '`#rrggbb`; stored lower-cased; default #6b7280' }),
    OptionalNotNull(),
    TrimLowerCase(),
    IsString(),
    Matches(COLOR_PATTERN, { message: 'color must be a #rrggbb hex colour' }),
  );
