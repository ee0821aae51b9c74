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
  move: 'updated',
  detach: 'updated',
  delete: 'deleted',
  purge: 'deleted',
  restore: 'restored',
  // Membership changes update the category; what a subscriber gains or loses access to appears
  // to them as created or deleted (the payload's change says `access_revoked`).
  member_add: 'updated',
  member_role: 'updated',
  member_remove: 'updated',
  access_granted: 'created',
  access_revoked: 'deleted',
};

/**
 * The event an activity entry is delivered as: a toggle or a detach is an update, a purge a
 * delete, access gained or lost a creation or a deletion as the subscriber sees it.
 */
export const eventTypeOf = (entry: Pick<RecordedEntry, 'entityType' | 'action'>) => `${entry.entityType}.${TYPE_OF_ACTION[entry.action]}`;
