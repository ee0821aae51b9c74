import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { sslOptionsFor } from '../../mikro-orm.config.js';
import { Environment } from '../config/environment.js';

/** Called with a notification's payload, or with null when notifications may have been missed. */
export type NotificationListener = (payload: string | null) => void;

/**
 * PostgreSQL LISTEN/NOTIFY for the instance: one dedicated connection (outside the pool, which a
 * LISTEN would hold for good), opened on the first listener. A NOTIFY sent inside a transaction
 * arrives when it commits, at every instance. When the connection drops, every listener hears
 * null (what was missed is unknown) and the next `listen` opens a new one.
 */
@Injectable()
export class DatabaseNotifications implements OnModuleDestroy {
  private readonly logger = new Logger(DatabaseNotifications.name);
  private readonly listeners = new Map<string, Set<NotificationListener>>();
  private readonly listening = new Map<string, Promise<void>>();
  private connection?: Promise<pg.Client>;
  private closed = false;

  constructor(@Inject(Environment) private readonly environment: Environment) {}

  /** Starts listening on `channel` (once the LISTEN is in place); the returned function stops. */
  async listen(channel: string, listener: NotificationListener): Promise<() => void> {
    if (this.closed) {
      throw new Error('database notifications are closed');
    }
    const client = await (this.connection ??= this.connect());
    let channelListeners = this.listeners.get(channel);
    if (!channelListeners) {
      channelListeners = new Set();
      this.listeners.set(channel, channelListeners);
      this.listening.set(channel, client.query(`listen ${pg.escapeIdentifier(channel)}`).then(() => undefined));
    }
    channelListeners.add(listener);
    const stop = () => channelListeners.delete(listener);
    // Whoever comes while the LISTEN is on its way waits for it too: until it is in place, a
    // commit's notification would not arrive.
    await this.listening.get(channel)?.catch((error: unknown) => {
      stop();
      throw error;
    });
    return stop;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    this.dropAll();
    await connection?.then((client) => client.end()).catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    const url = this.environment.DATABASE_LISTEN_URL ?? this.environment.DATABASE_URL!;
    const client = new pg.Client({ connectionString: url, ssl: sslOptionsFor(url), connectionTimeoutMillis: this.environment.DATABASE_ACQUIRE_TIMEOUT_MS });
    client.on('notification', ({ channel, payload }) => this.listeners.get(channel)?.forEach((listener) => listener(payload ?? '')));
    const lost = (error?: Error) => {
      if (error) {
        this.logger.warn(`LISTEN connection lost: ${error.message}`);
      }
      this.connection = undefined;
      this.dropAll();
      client.removeAllListeners('notification');
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
    } catch (error) {
      this.connection = undefined;
      throw error;
    }
    return client;
  }

  /** Every listener hears null, and LISTENs are made again on the next connection. */
  private dropAll(): void {
    const everyone = [...this.listeners.values()].flatMap((set) => [...set]);
    this.listeners.clear();
    this.listening.clear();
    everyone.forEach((listener) => listener(null));
  }
}
