import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Matches } from 'class-validator';
import { CharLength } from '../../common/char-length.decorator.js';
import { OptionalNotNull } from '../../common/optional.js';
import { Trim, TrimLowerCase } from '../../common/transforms.js';

interface FieldOptions {
  /** Profile updates send any subset of the fields. */
  optional?: boolean;
}

const optionality = ({ optional = false }: FieldOptions) => (optional ? [OptionalNotNull()] : []);

/** Field rules shared by registration and profile updates, so both validate alike. */
export const EmailField = (options: FieldOptions = {}) =>
  applyDecorators(
    ApiProperty({ format: 'email', minLength: 5, maxLength: 255, example: 'jane.smith@example.com', required: !options.optional }),
    ...optionality(options),
    TrimLowerCase(),
    IsString(),
    CharLength(5, 255),
    // ASCII only, as OpenAPI's `format: email` (internationalised addresses are not supported).
    Matches(/^[\x21-\x7e]+$/, { message: 'email must be an ASCII email address' }),
    IsEmail({ allow_utf8_local_part: false }, { message: 'email must be an email address' }),
  );

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,50}$/;

export const UsernameField = (options: FieldOptions = {}) =>
  applyDecorators(
    ApiProperty({ minLength: 3, maxLength: 50, pattern: USERNAME_PATTERN.source, example: 'jane.smith', required: !options.optional }),
    ...optionality(options),
    Trim(),
    IsString(),
    Matches(USERNAME_PATTERN, { message: 'username must be 3 to 50 letters, digits, "_", "." or "-"' }),
  );

export const NameField = (options: FieldOptions = {}) =>
  applyDecorators(
    ApiProperty({ minLength: 1, maxLength: 100, example: 'Jane Smith', required: !options.optional }),
    ...optionality(options),
    Trim(),
    IsString(),
    CharLength(1, 100),
  );
