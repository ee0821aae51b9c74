import { ValidateIf } from 'class-validator';

/**
 * For partial updates of NOT NULL columns: the field may be absent, but `null` is validated
 * (and rejected) like any other wrong value. Use class-validator's IsOptional where null clears.
 */
export const OptionalNotNull = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
