import { v7 as uuidv7 } from 'uuid';

/**
 * Primary keys are UUIDv7, made by the application: time-ordered, so new rows land at the right
 * edge of the primary-key index instead of scattering across it like random v4 ids. PostgreSQL 15
 * has no uuidv7(), so the database default (gen_random_uuid) only serves raw SQL inserts.
 */
export const newId = (): string => uuidv7();

export const UUID_PRIMARY_KEY = {
  type: 'uuid',
  defaultRaw: 'gen_random_uuid()',
} as const;
