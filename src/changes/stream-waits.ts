import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { STREAM_APPENDED_CHANNEL } from '../activity/activity-stream.entity.js';
import { DatabaseNotifications } from '../database/database-notifications.js';

/** Why a wait ended: something may have changed, time ran out, or the instance is shutting down. */
export type WaitOutcome = 'changed' | 'timeout' | 'closing';

/** Long-polls waiting at once: per user (the oldest gives way to a newer one) and per instance. */
export const MAX_WAITS_PER_USER = 5;
export const MAX_WAITS = 1_000;

interface Waiter {
  userId: string;
  wake: (outcome: WaitOutcome) => void;
}

/**
 * Long-polls of the change feed. A wait holds no database connection: it listens for the
 * stream's NOTIFY (sent when a writing transaction commits, at whichever instance) through the
 * instance's one LISTEN connection, and ends on the first notification for its user.
 */
@Injectable()
export class StreamWaits implements OnModuleDestroy {
  // Insertion order is age: the first waiter of a set is its oldest.
  private readonly waiters = new Set<Waiter>();
  private listening?: Promise<unknown>;
  private closing = false;

  constructor(private readonly notifications: DatabaseNotifications) {}

  /**
   * Waits up to `timeoutMs` for a change to `userId`'s stream. `alreadyChanged` runs once the
   * wait is in place, so a commit between it and the wait cannot be missed; when it answers true
   * the wait ends at once.
   */
  async waitForChange(userId: string, timeoutMs: number, alreadyChanged: () => Promise<boolean>): Promise<WaitOutcome> {
    if (this.closing) {
      return 'closing';
    }
    let wake!: (outcome: WaitOutcome) => void;
    const woken = new Promise<WaitOutcome>((resolve) => (wake = resolve));
    const waiter: Waiter = { userId, wake };
    this.admit(waiter);
    const timer = setTimeout(() => wake('timeout'), timeoutMs);
    try {
      await (this.listening ??= this.notifications.listen(STREAM_APPENDED_CHANNEL, (owner) => this.dispatch(owner)).catch((error: unknown) => {
        this.listening = undefined;
        throw error;
      }));
      if (await alreadyChanged()) {
        return 'changed';
      }
      return await woken;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    }
  }

  onModuleDestroy(): void {
    this.closing = true;
    this.waiters.forEach((waiter) => waiter.wake('closing'));
  }

  private admit(waiter: Waiter): void {
    const same = [...this.waiters].filter((other) => other.userId === waiter.userId);
    if (same.length >= MAX_WAITS_PER_USER) {
      this.end(same[0], 'timeout');
    }
    if (this.waiters.size >= MAX_WAITS) {
      this.end(this.waiters.values().next().value!, 'timeout');
    }
    this.waiters.add(waiter);
  }

  private end(waiter: Waiter, outcome: WaitOutcome): void {
    this.waiters.delete(waiter);
    waiter.wake(outcome);
  }

  /** A notification names an owner; null means notifications may have been lost: wake everyone. */
  private dispatch(owner: string | null): void {
    if (owner === null) {
      this.listening = undefined;
    }
    this.waiters.forEach((waiter) => {
      if (owner === null || waiter.userId === owner) {
        this.end(waiter, 'changed');
      }
    });
  }
}
