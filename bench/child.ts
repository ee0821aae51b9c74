import type { AddressInfo } from 'node:net';

/** What a server child sends the harness over IPC once it listens. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
}

/**
 * Tells the harness the port, then serves until the harness says stop (SIGTERM) or goes away
 * (the IPC channel closes): a crashed harness never leaves a server behind.
 */
export function serveUntilDisconnected(address: AddressInfo | string | null, close: () => Promise<unknown>): void {
  if (!address || typeof address === 'string' || !process.send) {
    throw new Error('a bench server must listen on TCP and be spawned with an IPC channel');
  }
  const stop = () => {
    setTimeout(() => process.exit(1), 5_000).unref();
    close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  process.send({ type: 'ready', port: address.port } satisfies ReadyMessage);
}
