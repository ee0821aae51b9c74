import { Injectable } from '@nestjs/common';

/**
 * Whether this instance is on its way out. Set when SIGTERM arrives (main.ts) or when the app
 * is closed: from then on readiness answers 503, so the load balancer stops routing here, and
 * every answer closes its connection, so clients reconnect (to another instance) instead of
 * keeping a socket that is about to go away. Requests are still served meanwhile.
 */
@Injectable()
export class ShutdownState {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  beginDraining(): void {
    this.drainingSince ??= Date.now();
  }
}
