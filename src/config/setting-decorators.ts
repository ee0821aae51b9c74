import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min, ValidateBy } from 'class-validator';
import { DURATION_PATTERN } from './duration.js';

/**
 * How each kind of environment variable is read from its text and checked, so the Environment
 * class says only which variables exist. A refused value names its variable (validateEnvironment).
 */

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** `true`/`1` or `false`/`0`. */
export const BooleanSetting = () => applyDecorators(Transform(toBoolean), IsBoolean());

/** An integer variable between `min` and `max`, given as decimal text. */
export const IntegerSetting = (min: number, max: number) => applyDecorators(Transform(toInteger), IsInt(), Min(min), Max(max));

/** A duration parseDuration reads (`90d`, `12h`, `500ms`, bare seconds); `examples` go in the refusal. */
export const DurationSetting = (examples: string) => Matches(DURATION_PATTERN, { message: `$property must be a duration such as ${examples}` });

/** Comma-separated durations, such as a retry schedule. */
export const DurationListSetting = (examples: string) =>
  ValidateBy({
    name: 'isDurationList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.split(',').every((item) => DURATION_PATTERN.test(item.trim())),
      defaultMessage: (args) => `${args?.property} must be comma-separated durations such as ${examples}`,
    },
  });
