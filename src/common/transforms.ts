import { Transform } from 'class-transformer';

/** Trims strings before validation, so lengths and emptiness are judged on the real content. */
export const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** Trims and lower-cases: for emails, which are compared case-insensitively. */
export const TrimLowerCase = () =>
  Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));
