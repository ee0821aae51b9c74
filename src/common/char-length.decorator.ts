import { registerDecorator, type ValidationOptions } from 'class-validator';

/** Characters as PostgreSQL's varchar(n) counts them: code points (an emoji with U+FE0F is two). */
export const characterCount = (value: string): number => [...value].length;

/**
 * Length in code points, the unit of the database's column limits. class-validator's Length
 * skips variation selectors, which let a "valid" value overflow its varchar column.
 */
export function CharLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'charLength',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && characterCount(value) >= min && characterCount(value) <= max,
        defaultMessage: () =>
          min > 0 ? `${String(propertyName)} must be ${min} to ${max} characters long` : `${String(propertyName)} must be at most ${max} characters long`,
      },
    });
}
