import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EventsTable, Store } from './database.js';
import { STORE } from './inbox.tokens.js';
import type { Statement } from './statement-runner.js';
import { StoreWriter } from './store-writer.service.js';
import { idFactory } from './ids.js';
import { ClassifierSlot, type EventClassifier, type IncomingEvent } from './event-classifier.js';

export { StoreUnavailableError } from './store-writer.service.js';

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
  /** The envelope's `data`: with it, a `received` event is classified in its own commit. */
  data?: Record<string, unknown>;
}

export interface Recorded {
  id: string;
  duplicate: boolean;
  receivedAt: string;
  /** The status stored (a duplicate's is not read: the one asked for). */
  status: EventStatus;
}

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
  /** Whippy's contact id: `data.contact_id` or `data.contact.id` of the stored body. */
  contact?: string;
  limit: number;
}

/** Not a valid source name (those are `[a-z0-9][a-z0-9_-]*`), so never a real event's. */
const PROBE_SOURCE = ' probe';

/** Column order of a new event row; the INSERT compiled at start binds them in this order. */
const COLUMNS = [
  'id',
  'source',
  'request_id',
  'type',
  'status',
  'raw_body',
  'headers',
  'verification',
  'errors',
  'received_at',
  'updated_at',
] as const satisfies readonly (keyof EventsTable)[];

/**
 * The durable inbox. `record()` resolves only after the event is committed; requests that
 * arrive together share one commit through the StoreWriter.
 */
@Injectable()
export class Inbox {
  private readonly nextId = idFactory();
  private readonly insertSql: string;
  private readonly classifier = new ClassifierSlot();

  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
  ) {
    // Compiled once by Kysely for the store's dialect; each request only binds its values.
    const sample = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as EventsTable;
    this.insertSql = store.db
      .insertInto('events')
      .values(sample)
      .onConflict((oc) => oc.columns(['source', 'request_id']).doNothing())
      .returning('id')
      .compile().sql;
    writer.useProbe(() => this.probeStatements());
  }

  /**
   * A sentinel event inserted and deleted in one transaction: it meets the same triggers, file
   * and disk as a real event, and no reader ever sees it. Its source cannot be configured.
   */
  private probeStatements(): Statement[] {
    const now = new Date().toISOString();
    const row: EventsTable = {
      id: this.nextId(),
      source: PROBE_SOURCE,
      request_id: 'probe',
      type: 'probe',
      status: 'received',
      raw_body: Buffer.alloc(0),
      headers: '{}',
      verification: '{}',
      errors: null,
      received_at: now,
      updated_at: now,
    };
    const remove = this.store.db.deleteFrom('events').where('source', '=', PROBE_SOURCE).compile();
    return [
      { sql: this.insertSql, parameters: COLUMNS.map((c) => row[c]) },
      { sql: remove.sql, parameters: remove.parameters },
    ];
  }

  /**
   * Classifies each new `received` event before its commit (see EventClassifier); returns the
   * function that stops it.
   */
  useClassifier(classifier: EventClassifier): () => void {
    return this.classifier.use(classifier);
  }

  /**
   * Commits a new event; a repeated `(source, requestId)` answers with the first event's id.
   * With a classifier, a `received` event is stored classified, with its deliveries, in the
   * same commit.
   */
  async record(event: NewEvent): Promise<Recorded> {
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
    const incoming: IncomingEvent | undefined =
      event.status === 'received' && event.data
        ? {
            id: row.id,
            source: row.source,
            requestId: row.request_id,
            type: row.type,
            receivedAt: now,
            data: event.data,
          }
        : undefined;
    const classified = incoming && this.classifier.classify(incoming);
    let results: unknown[][];
    if (classified) {
      row.status = classified.status;
      row.errors = classified.errors === undefined ? null : JSON.stringify(classified.errors);
    }
    const insert = (): Statement => ({ sql: this.insertSql, parameters: COLUMNS.map((c) => row[c]) });
    try {
      results = await this.writer.write([insert(), ...(classified?.statements ?? [])]);
    } catch (error) {
      if (!classified) throw error;
      // What refused the classification must not refuse the event: stored as received, it is
      // classified after the commit (the bus retries that until the store takes it).
      row.status = 'received';
      row.errors = null;
      results = await this.writer.write([insert()]);
      return this.recorded(event, row, results[0]);
    }
    if (classified && results[0].length > 0)
      this.classifier.committed(incoming!, classified, results.slice(1));
    return this.recorded(event, row, results[0]);
  }

  private async recorded(event: NewEvent, row: EventsTable, inserted: unknown[]): Promise<Recorded> {
    if (inserted.length > 0)
      return { id: row.id, duplicate: false, receivedAt: row.received_at, status: row.status as EventStatus };
    const first = await this.store.db
      .selectFrom('events')
      .select(['id', 'received_at'])
      .where('source', '=', event.source)
      .where('request_id', '=', event.requestId)
      .executeTakeFirstOrThrow();
    return { id: first.id, duplicate: true, receivedAt: first.received_at, status: event.status };
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
    if (query.contact) q = q.where(this.contactIs(query.contact));
    return (await q.execute()).map(summary);
  }

  /**
   * Reads the contact from the stored bytes rather than a column of its own: an admin search,
   * bounded by the other filters and the page size, not worth a write on every ingest.
   */
  private contactIs(contact: string) {
    return this.store.dialect === 'postgres'
      ? sql<boolean>`coalesce(convert_from(raw_body, 'UTF8')::json #>> '{data,contact_id}', convert_from(raw_body, 'UTF8')::json #>> '{data,contact,id}') = ${contact}`
      : sql<boolean>`coalesce(cast(json_extract(cast(raw_body as text), '$.data.contact_id') as text), cast(json_extract(cast(raw_body as text), '$.data.contact.id') as text)) = ${contact}`;
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const row = await this.store.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    return {
      ...summary(row),
      rawBody: Buffer.from(row.raw_body),
      headers: JSON.parse(row.headers),
      verification: JSON.parse(row.verification),
      errors: row.errors === null ? null : JSON.parse(row.errors),
    };
  }

  /**
   * Events per source and status, with the latest arrival of each: one grouped query, answered
   * from the `events_source_status_received` index.
   */
  async countsBySource(): Promise<
    { source: string; status: string; count: number; lastReceivedAt: string }[]
  > {
    const rows = await this.store.db
      .selectFrom('events')
      .select((eb) => [
        'source',
        'status',
        eb.fn.countAll<number | string>().as('count'),
        eb.fn.max('received_at').as('last'),
      ])
      .groupBy(['source', 'status'])
      .execute();
    // PostgreSQL's count is a bigint, which pg hands over as a string.
    return rows.map((row) => ({
      source: row.source,
      status: row.status,
      count: Number(row.count),
      lastReceivedAt: row.last,
    }));
  }

  /** Throws when the store cannot answer; used by the readiness check. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.store.db);
  }
}

const summary = (
  row: Pick<EventsTable, 'id' | 'source' | 'request_id' | 'type' | 'status' | 'received_at'>,
): StoredEventSummary => ({
  id: row.id,
  source: row.source,
  requestId: row.request_id,
  type: row.type,
  status: row.status,
  receivedAt: row.received_at,
});
