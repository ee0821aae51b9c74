import { EntityManager } from '@mikro-orm/postgresql';
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

  run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.em.transactional(work);
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
