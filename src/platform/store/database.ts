import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { SQLite } from './sqlite-driver.js';

/** `received` until classified; `unknown` when the catalog lacks the type; `held` while paused. */
export type EventStatus = 'received' | 'routed' | 'unrouted' | 'unknown' | 'invalid' | 'held';

/** `failed` retries at `next_attempt_at`; `succeeded` and `dead` are finished. */
export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'dead';

/** How one attempt ended; `interrupted` when the process stopped while it ran. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'throttled' | 'dead' | 'interrupted';

export interface EventsTable {
  id: string;
  source: string;
  request_id: string;
  type: string;
  status: EventStatus;
  raw_body: Buffer;
  headers: string;
  verification: string;
  errors: string | null;
  received_at: string;
  updated_at: string;
}

export interface DeliveriesTable {
  id: string;
  event_id: string;
  subscriber_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  order_key: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  /** Attempts a target throttled (RetryLater); they count against maxAttempts only past a limit. */
  throttles: number;
  /** Times the process stopped while this delivery ran. */
  interruptions: number;
  /** `<event id>:<subscriber id>` for the routed or backfilled delivery (unique); null for replays. */
  dedupe_key: string | null;
}

/** One attempt of a delivery, kept across retries (a running `attempt` number per delivery). */
export interface DeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: string;
  finished_at: string;
  /** Null when unknown: an attempt cut off by the process stopping. */
  duration_ms: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

/** One remembered value of an integration (ModuleStore), keyed (module, kind, key). */
export interface ModuleStateTable {
  module: string;
  kind: string;
  key: string;
  /** JSON. */
  value: string;
  updated_at: string;
}

export interface Database {
  events: EventsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  module_state: ModuleStateTable;
}

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for logs: a file path or the database URL without its password. */
  location: string;
  /** The SQLite file, for the writer thread's own connection. */
  file?: string;
}

/**
 * The data folder 0700 and the database file 0600, whatever the umask: events hold message
 * bodies and phone numbers. SQLite gives the -wal and -shm files the database file's mode.
 */
function createPrivately(dataDir: string, file: string): void {
  if (!existsSync(dataDir)) {
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
  }
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}

/** Opens the embedded SQLite file in dataDir, or PostgreSQL when a database URL is given. */
export function openStore(options: { dataDir: string; databaseUrl?: string }): Store {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    // A client losing its server must not crash the process, idle (the pool's 'error') or
    // checked out between two queries (its own 'error'); the next query reports it.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const url = new URL(options.databaseUrl);
    url.password = url.password ? '***' : '';
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      dialect: 'postgres',
      location: url.toString(),
    };
  }
  const file = resolve(options.dataDir, 'switchyard.db');
  createPrivately(options.dataDir, file);
  const database = new SQLite(file);
  // WAL lets readers run beside the writer; FULL fsyncs every commit, so an acknowledged
  // event survives a power cut, not only a process crash.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }),
    dialect: 'sqlite',
    location: file,
    file,
  };
}
