import type { EntityRepositoryType, OptionalProps } from '@mikro-orm/core';
import type { Task } from './task.entity.js';

/**
 * A task as the repository's queries answer it: every column of the entity under its property
 * name (QueryBuilder `execute('all')` maps them from the metadata), relations as their ids.
 * Adding a property to the entity adds it here; the response mapping then fails to compile
 * until it is handled.
 */
export type TaskRecord = Omit<Task, 'user' | 'category' | typeof EntityRepositoryType | typeof OptionalProps> & {
  user: string;
  category: string | null;
};

/** Set by the server alone, never from a request body. */
type ServerOwned = 'id' | 'user' | 'completedAt' | 'createdAt' | 'updatedAt' | 'version' | 'deletedAt' | 'priorityRank';

/** The properties a client may set on create and change on patch, as the entity names them. */
export type TaskValues = Partial<Omit<TaskRecord, ServerOwned>>;
