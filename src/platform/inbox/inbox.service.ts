import { Inject, Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { monotonicFactory } from 'ulid';
import type { EventsTable, Store } from './database.js';
import type { EventWriter, Recorded } from './event-writer.js';
import { EVENT_WRITER, STORE } from './inbox.tokens.js';

/** `received` until classified; `unknown` when the catalog lacks the type; `held` while paused. */
export type EventStatus = 'received' | 'routed' | 'unrouted' | 'unknown' | 'invalid' | 'held';

export interface NewEvent {
  source: string;
  /** The dedupe key: the envelope's request_id, or the scheme's message id. */
  requestId: string;
  type: string;
  status: EventStatus;
  rawBody: Buffer;
  headers: Record<string, string>;
  verification: Record<string, unknown>;
}

export type { Recorded };

export interface StoredEventSummary {
  id: string;
  source: string;
  requestId: string;
  type: string;
  status: string;
  receivedAt: string;
}

export interface StoredEvent extends StoredEventSummary {
  rawBody: Buffer;
  headers: Record<string, string>;
  verification: Record<string, unknown>;
  errors: unknown;
}

export interface EventQuery {
  source?: string;
  type?: string;
  status?: string;
  /** Only events received at or after this ISO time. */
  since?: string;
  until?: string;
  /** An id from a previous page: events older than it. */
  before?: string;
  limit: number;
}

/** The store could not commit; nothing was acknowledged and the sender should retry. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store could not commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

interface Pending {
  row: EventsTable;
  resolve(result: Recorded): void;
  reject(error: Error): void;
}

/** Most rows one INSERT carries; keeps well under SQLite's bound-parameter limit. */
const MAX_BATCH = 200;

/**
 * The durable inbox. `record()` resolves only after the event is committed. Requests that
 * arrive together share one commit (group commit): one fsync for many events, each still
 * answered only after its own row is on disk.
 */
@Injectable()
export class Inbox {
  private readonly logger = new Logger(Inbox.name);
  private readonly nextId = monotonicFactory();
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    @Inject(STORE) private readonly store: Store,
    @Inject(EVENT_WRITER) private readonly writer: EventWriter,
  ) {}

  record(event: NewEvent): Promise<Recorded> {
    const now = new Date().toISOString();
    const row: EventsTable = {
      id: this.nextId(),
      source: event.source,
      request_id: event.requestId,
      type: event.type,
      status: event.status,
      raw_body: event.rawBody,
      headers: JSON.stringify(event.headers),
      verification: JSON.stringify(event.verification),
      errors: null,
      received_at: now,
      updated_at: now,
    };
    return new Promise<Recorded>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate lets every request already read off the sockets join this commit.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    const batch = this.queue.splice(0, MAX_BATCH);
    try {
      const results = await this.writer.write(batch.map((p) => p.row));
      batch.forEach((pending, i) => pending.resolve(results[i]));
    } catch (error) {
      this.logger.error(`commit of ${batch.length} event(s) failed: ${(error as Error).message}`);
      const failure = new StoreUnavailableError(error);
      for (const pending of batch) pending.reject(failure);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  async list(query: EventQuery): Promise<StoredEventSummary[]> {
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'request_id', 'type', 'status', 'received_at'])
      .orderBy('id', 'desc')
      .limit(query.limit);
    if (query.source) q = q.where('source', '=', query.source);
    if (query.type) q = q.where('type', '=', query.type);
    if (query.status) q = q.where('status', '=', query.status);
    if (query.since) q = q.where('received_at', '>=', query.since);
    if (query.until) q = q.where('received_at', '<', query.until);
    if (query.before) q = q.where('id', '<', query.before);
    const rows = await q.execute();
    return rows.map((row) => ({
      id: row.id,
      source: row.source,
      requestId: row.request_id,
      type: row.type,
      status: row.status,
      receivedAt: row.received_at,
    }));
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const row = await this.store.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      source: row.source,
      requestId: row.request_id,
      type: row.type,
      status: row.status,
      receivedAt: row.received_at,
      rawBody: Buffer.from(row.raw_body),
      headers: JSON.parse(row.headers),
      verification: JSON.parse(row.verification),
      errors: row.errors === null ? null : JSON.parse(row.errors),
    };
  }

  /** Resolves once every event handed to record() has been committed or refused. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Throws when the store cannot answer; used by the readiness check. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.store.db);
  }
}
