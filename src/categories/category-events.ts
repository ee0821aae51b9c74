import type { RequestActor } from '../common/actor.js';

/**
 * Published inside the unit of work that deletes a category, before its row goes: the tasks
 * module detaches the category's tasks (and records it) in the same transaction.
 */
export class CategoryRemoving {
  static readonly eventName = 'categories.removing';

  constructor(
    readonly actor: RequestActor,
    readonly categoryId: string,
  ) {}
}
