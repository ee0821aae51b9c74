import { EmailField, NameField, UsernameField } from './user-fields.js';

/** Any subset of the profile fields; the password changes through its own route. */
export class UpdateProfileDto {
  @EmailField({ optional: true })
  email?: string;

  @UsernameField({ optional: true })
  username?: string;

  @NameField({ optional: true })
  name?: string;
}
