import type { RequestActor } from '../common/actor.js';

/**
 * Published inside the unit of work that deletes a category, before its row goes: the tasks
 * module detaches the category's tasks (each becomes private to its creator again) and records it
 * for everyone who could see them, in the same transaction.
 */
export class CategoryRemoving {
  static readonly eventName = 'categories.removing';

  constructor(
    readonly actor: RequestActor,
    readonly categoryId: string,
    /** The owner and every member, read before the memberships go with the category. */
    readonly audience: string[],
  ) {}
}

/** A user became a member (an invitation accepted), in this transaction: they now see its tasks. */
export class MemberJoined {
  static readonly eventName = 'categories.member-joined';

  constructor(
    readonly actor: RequestActor,
    readonly categoryId: string,
    readonly userId: string,
  ) {}
}

/**
 * A membership is about to end (removed by the owner, or left), in this transaction: the tasks
 * module unassigns the member from the category's tasks and tells their change feed the tasks are
 * gone from their view.
 */
export class MemberLeaving {
  static readonly eventName = 'categories.member-leaving';

  constructor(
    readonly actor: RequestActor,
    readonly categoryId: string,
    readonly userId: string,
  ) {}
}
