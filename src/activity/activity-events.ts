import type { RecordedEntry } from './activity.repository.js';

export type { RecordedEntry };

/**
 * Published inside the unit of work of a change, once its activity entries have their numbers:
 * the webhooks module queues their deliveries in that same transaction.
 */
export class ActivityRecorded {
  static readonly eventName = 'activity.recorded';

  constructor(
    readonly ownerId: string,
    readonly entries: RecordedEntry[],
  ) {}
}
