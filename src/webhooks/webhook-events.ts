import type { RecordedEntry } from '../activity/activity-events.js';

export const WEBHOOK_EVENT_TYPES = [
  'task.created',
  'task.updated',
  'task.deleted',
  'task.restored',
  'category.created',
  'category.updated',
  'category.deleted',
] as const;

/** What a subscription may list: an event type, or every type of an entity (`task.*`). */
export const WEBHOOK_EVENT_FILTERS = [...WEBHOOK_EVENT_TYPES, 'task.*', 'category.*'] as const;

const TYPE_OF_ACTION: Record<RecordedEntry['action'], string> = {
  create: 'created',
  update: 'updated',
  toggle: 'updated',
  detach: 'updated',
  delete: 'deleted',
  purge: 'deleted',
  restore: 'restored',
};

/** The event an activity entry is delivered as: a toggle or a detach is an update, a purge a delete. */
export const eventTypeOf = (entry: Pick<RecordedEntry, 'entityType' | 'action'>) => `${entry.entityType}.${TYPE_OF_ACTION[entry.action]}`;
