import { registerDecorator, type ValidationOptions } from 'class-validator';
import { dictionary } from '@zxcvbn-ts/language-common';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The 10,000 most common passwords: the head of zxcvbn-ts's frequency-ranked list (drawn from
 * real breach corpora), compared case-insensitively.
 */
const COMMON_PASSWORDS = new Set(
  (dictionary['passwords-common'] as string[]).slice(0, 10_000).map((password) => password.toLowerCase()),
);

/** Length in characters as a person counts them (code points), so emoji count once. */
const characterCount = (value: string) => [...value].length;

/**
 * NIST SP 800-63B style: 8 to 128 characters, any Unicode and spaces, no composition rules,
 * and not among the 10,000 most common passwords.
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
            !COMMON_PASSWORDS.has(value.toLowerCase())
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
