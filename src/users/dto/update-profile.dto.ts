import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { OptionalNotNull } from '../../common/optional.js';
import { EmailField, NameField, UsernameField } from './user-fields.js';

/**
 * Any subset of the profile fields; the password changes through its own route. Email and
 * username are what a login names, so changing either needs the current password too:
 * `{ "email": "new@example.com", "currentPassword": "my current passphrase" }`.
 */
export class UpdateProfileDto {
  @EmailField({ optional: true })
  email?: string;

  @UsernameField({ optional: true })
  username?: string;

  @NameField({ optional: true })
  name?: string;

  @ApiProperty({
    required: false,
    maxLength: 1024,
    example: 'my current passphrase',
    description:
      'The current password: required when email or username changes (a change of letter case alone does not count), ' +
      'ignored otherwise. Missing or wrong: 400 naming it; wrong ones count against the login throttle (429).',
  })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1024)
  currentPassword?: string;
}
