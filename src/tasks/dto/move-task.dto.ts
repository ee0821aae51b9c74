import { NeighbourIdField } from './task-fields.js';

/** Where to put a task in its list: right after one task, right before another, or between the two. */
export class MoveTaskDto {
  @NeighbourIdField('after', 'The task to place it right after (a live task of the same list)')
  after?: string;

  @NeighbourIdField('before', 'The task to place it right before (a live task of the same list)')
  before?: string;
}
