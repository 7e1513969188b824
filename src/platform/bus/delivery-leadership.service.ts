import { Inject, Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import type { Store } from '../store/database.js';
import { STORE } from '../store/store.tokens.js';

/** The advisory lock every Switchyard process on one PostgreSQL database competes for. */
const LOCK_KEY = 0x5357_4459; // "SWDY"
/** How often a process without the lock tries to take it. */
const TRY_EVERY_MS = 1000;

/**
 * Decides whether this process runs deliveries. On SQLite there is one process: it does. On
 * PostgreSQL exactly one process does: the one holding a session-level advisory lock on a
 * connection of its own. The others try again every second, so when the holder dies (its
 * session ends and PostgreSQL frees the lock) one of them takes over.
 */
@Injectable()
export class DeliveryLeadership {
  private readonly logger = new Logger('Delivery');
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private holding = false;
  private stopped = false;
  private onChange: (leading: boolean) => void = () => undefined;

  constructor(@Inject(STORE) private readonly store: Store) {}

  /** Whether deliveries may run in more than one process's view of the store. */
  get shared(): boolean {
    return this.store.dialect === 'postgres';
  }

  get leading(): boolean {
    return this.holding;
  }

  /** Starts competing; `onChange` hears every change, the first one included. */
  async start(databaseUrl: string | undefined, onChange: (leading: boolean) => void): Promise<void> {
    this.onChange = onChange;
    if (!this.shared || !databaseUrl) return this.change(true);
    await this.attempt(databaseUrl);
    if (!this.holding) this.change(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    // Ending the session frees the lock at once for the next process.
    await client?.end().catch(() => undefined);
  }

  private async attempt(url: string): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
        client.on('error', () => this.lost(client, url));
        client.on('end', () => this.lost(client, url));
        this.client = client;
        await client.connect();
      }
      const { rows } = await this.client.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_KEY]);
      if (rows[0]?.locked) return this.change(true);
    } catch (error) {
      this.logger.warn(`could not ask PostgreSQL who runs deliveries: ${(error as Error).message}`);
      const client = this.client;
      this.client = undefined;
      await client?.end().catch(() => undefined);
    }
    this.retry(url);
  }

  private retry(url: string): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(url), TRY_EVERY_MS);
    this.timer.unref();
  }

  /** The lock's session is gone: the lock with it. */
  private lost(client: pg.Client, url: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.stopped) return;
    if (this.holding) {
      this.logger.error(
        'lost the connection that holds the delivery lock; deliveries stop here until it is back',
      );
      this.change(false);
    }
    this.retry(url);
  }

  private change(leading: boolean): void {
    if (this.holding === leading && leading) return;
    this.holding = leading;
    this.onChange(leading);
  }
}
