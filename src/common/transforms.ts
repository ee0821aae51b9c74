import { Transform } from 'class-transformer';

/** Trims strings before validation, so lengths and emptiness are judged on the real content. */
export const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Trims and lower-cases: for emails and logins, which are compared case-insensitively. Lengths
 * are then judged on the lower-cased form, the one that is stored or looked up.
 */
export const TrimLowerCase = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
