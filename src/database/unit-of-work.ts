import { DeadlockException, EntityManager } from '@mikro-orm/postgresql';

const MAX_DEADLOCK_ATTEMPTS = 3;
import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';

/**
 * Something one module tells others inside a unit of work, e.g. "this category is being deleted"
 * so the tasks module detaches its tasks. The emitting module declares the class; listeners
 * import it (the dependency points from listener to emitter, never back).
 */
export interface DomainEventType<T> {
  readonly eventName: string;
  new (...args: never[]): T;
}

/**
 * The one way a use case runs in a transaction. Inside `run`, the request's EntityManager
 * (injected anywhere, repositories included) resolves to the transaction's fork, so every
 * statement of the use case, and of the listeners it publishes to, commits or rolls back together.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly em: EntityManager,
    private readonly events: EventEmitter2,
  ) {}

  /**
   * Runs `work` in a transaction. A use case that takes the same row locks as a concurrent one in
   * another order (activity streams of several members, say) may be chosen by PostgreSQL as the
   * victim of a deadlock: the whole use case is then run again from the start, up to three times.
   * Inside an outer unit of work the outer one decides (its transaction is the one aborted).
   */
  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.em.isInTransaction()) {
      return this.em.transactional(work);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.em.transactional(work);
      } catch (error) {
        if (!(error instanceof DeadlockException) || attempt >= MAX_DEADLOCK_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /**
   * Awaits every listener in this transaction: a listener that throws rolls the whole use case
   * back. Refused outside `run`, where a listener's writes would commit on their own.
   */
  async publish(event: object): Promise<void> {
    if (!this.em.isInTransaction()) {
      throw new Error(`${event.constructor.name} published outside a unit of work`);
    }
    const { eventName } = event.constructor as DomainEventType<unknown>;
    await this.events.emitAsync(eventName, event);
  }
}

/** Subscribes a provider method to a domain event; its errors reach the publisher (no swallowing). */
export const OnDomainEvent = (type: DomainEventType<unknown>) =>
  OnEvent(type.eventName, { suppressErrors: false, async: false, promisify: false });
