import { Inject, Injectable } from '@nestjs/common';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database, EventsTable, EventStatus, Store } from './database.js';
import { idAt, idFactory } from './ids.js';
import type { Statement } from './statement-runner.js';
import { STORE } from './store.tokens.js';

export interface TypeCount {
  type: string;
  status: EventStatus;
  count: number;
  lastId: string;
}

export interface RecentEvent {
  id: string;
  source: string;
  type: string;
  status: EventStatus;
  rawBody: Buffer;
  verification: string;
  errors: string | null;
  receivedAt: string;
}

/** What an admin search of events filters on; every field optional but the page size. */
export interface EventFilter {
  source?: string;
  type?: string;
  status?: EventStatus;
  /** Only events received at or after this ISO time. */
  since?: string;
  until?: string;
  /** An id from a previous page: events older than it. */
  before?: string;
  /** Whippy's contact id: `data.contact_id` or `data.contact.id` of the stored body. */
  contact?: string;
  limit: number;
}

/** Event statuses kept like succeeded deliveries; `received` and `held` are never pruned (unfinished). */
const DONE: EventStatus[] = ['routed', 'unrouted'];
/** Event statuses that need a fix, kept like dead deliveries. */
const FAILED: EventStatus[] = ['unknown', 'invalid'];

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
 * The `events` table. Writes are statements for the StoreWriter (one group commit); the frequent
 * ones are compiled once by Kysely at start, so a request only binds its values. The counts
 * the doctor asks for are each answered from an index over a bounded range.
 */
@Injectable()
export class EventsRepository {
  readonly nextId = idFactory();
  private readonly sql: { insert: string; status: string };

  constructor(@Inject(STORE) private readonly store: Store) {
    const { db } = store;
    const sample = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as EventsTable;
    this.sql = {
      // A repeated (source, request_id) is no new event: the statement returns no row.
      insert: db
        .insertInto('events')
        .values(sample)
        .onConflict((oc) => oc.columns(['source', 'request_id']).doNothing())
        .returning('id')
        .compile().sql,
      status: db
        .updateTable('events')
        .set({ status: 'received', errors: null, updated_at: '' })
        .where('id', '=', '')
        .compile().sql,
    };
  }

  /** Returns the id when the row is new, no row for a repeated (source, request_id). */
  insert(row: EventsTable): Statement {
    return { sql: this.sql.insert, parameters: COLUMNS.map((c) => row[c]) };
  }

  /**
   * A sentinel event inserted and deleted in one transaction: it meets the same triggers, file
   * and disk as a real event, and no reader ever sees it. Its source cannot be configured.
   */
  probe(): Statement[] {
    const now = new Date().toISOString();
    const remove = this.store.db.deleteFrom('events').where('source', '=', PROBE_SOURCE).compile();
    return [
      this.insert({
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
      }),
      { sql: remove.sql, parameters: remove.parameters },
    ];
  }

  /** A classification's outcome, with the errors that made an event invalid. */
  status(eventId: string, status: EventStatus, errors?: unknown): Statement {
    return {
      sql: this.sql.status,
      parameters: [
        status,
        errors === undefined ? null : JSON.stringify(errors),
        new Date().toISOString(),
        eventId,
      ],
    };
  }

  /** The event first stored under this dedupe key. */
  first(source: string, requestId: string): Promise<Pick<EventsTable, 'id' | 'received_at'>> {
    return this.store.db
      .selectFrom('events')
      .select(['id', 'received_at'])
      .where('source', '=', source)
      .where('request_id', '=', requestId)
      .executeTakeFirstOrThrow();
  }

  get(id: string): Promise<EventsTable | undefined> {
    return this.store.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first, older than the `before` cursor. */
  list(filter: EventFilter) {
    const one = <T>(value: T | undefined) => (value ? [value] : undefined);
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'request_id', 'type', 'status', 'received_at'])
      .where((eb) =>
        matching(eb, {
          sources: one(filter.source),
          types: one(filter.type),
          statuses: one(filter.status),
          since: filter.since,
          until: filter.until,
        }),
      )
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.before) q = q.where('id', '<', filter.before);
    if (filter.contact) q = q.where(this.contactIs(filter.contact));
    return q.execute();
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

  /** Stored events in id (= arrival) order, with what classification needs. */
  forClassification(filter: EventSelection & { ids?: string[]; after?: string; limit: number }) {
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'request_id', 'type', 'status', 'raw_body', 'received_at'])
      .where((eb) => matching(eb, filter))
      .orderBy('id')
      .limit(filter.limit);
    if (filter.ids) q = q.where('id', 'in', filter.ids);
    if (filter.after) q = q.where('id', '>', filter.after);
    return q.execute();
  }

  /** Events still waiting for classification that arrived before this one. */
  async unclassifiedBefore(eventId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('events')
      .select('id')
      .where('status', '=', 'received')
      .where('id', '<', eventId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Events per source and status, with the latest arrival of each: one grouped query, answered
   * from the `events_source_status_received` index.
   */
  async countsBySource(): Promise<
    { source: string; status: EventStatus; count: number; lastReceivedAt: string }[]
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

  /** The newest event of a source. */
  async newestOfSource(
    source: string,
  ): Promise<{ id: string; receivedAt: string; verification: string } | undefined> {
    const row = await this.store.db
      .selectFrom('events')
      .select(['id', 'received_at', 'verification'])
      .where('source', '=', source)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && { id: row.id, receivedAt: row.received_at, verification: row.verification };
  }

  /** Events of a source received in [from, to). */
  async countOfSource(source: string, from: Date, to: Date): Promise<number> {
    const row = await this.store.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('source', '=', source)
      .where('id', '>=', idAt(from))
      .where('id', '<', idAt(to))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The newest event of a type, from any source. */
  async newestOfType(type: string): Promise<string | undefined> {
    const row = await this.store.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', type)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id;
  }

  /** Events of these statuses since a time, counted by type. */
  async typesByStatus(statuses: EventStatus[], since: Date): Promise<TypeCount[]> {
    const rows = await this.store.db
      .selectFrom('events')
      .select((eb) => [
        'type',
        'status',
        eb.fn.countAll<number | string>().as('n'),
        eb.fn.max('id').as('last_id'),
      ])
      .where('status', 'in', statuses)
      .where('id', '>=', idAt(since))
      .groupBy(['type', 'status'])
      .execute();
    return rows.map((row) => ({
      type: row.type,
      status: row.status,
      count: Number(row.n),
      lastId: row.last_id,
    }));
  }

  /** The newest events since a time (of these statuses, or all), newest first. */
  async recent(options: { since: Date; limit: number; statuses?: EventStatus[] }): Promise<RecentEvent[]> {
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'type', 'status', 'raw_body', 'verification', 'errors', 'received_at'])
      .where('id', '>=', idAt(options.since))
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.statuses) q = q.where('status', 'in', options.statuses);
    return (await q.execute()).map((row) => ({
      id: row.id,
      source: row.source,
      type: row.type,
      status: row.status,
      rawBody: Buffer.from(row.raw_body),
      verification: row.verification,
      errors: row.errors,
      receivedAt: row.received_at,
    }));
  }

  /**
   * Deletes one batch of expired events that no delivery refers to any more: routed or
   * unrouted ones received before `before`, unknown or invalid ones before `deadBefore`. An
   * event with a delivery left (unfinished, or finished but still kept) stays. `from` walks
   * the range across batches, so events kept at its start are not read again each batch.
   * Returns the deleted rows' ids and arrival times.
   */
  deleteExpired(cutoffs: { before: string; deadBefore: string; from: string }, limit: number): Statement {
    const { db } = this.store;
    const batch = db
      .selectFrom('events as e')
      .select('e.id')
      .where('e.received_at', '<', cutoffs.before)
      .where('e.received_at', '>=', cutoffs.from)
      // `status || ''` keeps the planner off the (status, id) index: without statistics SQLite
      // would walk every routed event by status and sort them (tens of ms a batch, growing with
      // the table) instead of the received_at range it is given.
      .where((eb) => {
        const status = sql<string>`${sql.ref('e.status')} || ''`;
        return eb.or([
          eb(status, 'in', DONE),
          eb.and([eb(status, 'in', FAILED), eb('e.received_at', '<', cutoffs.deadBefore)]),
        ]);
      })
      .where((eb) =>
        eb.not(
          eb.exists(eb.selectFrom('deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id')),
        ),
      )
      .orderBy('e.received_at')
      .limit(limit);
    const compiled = db
      .deleteFrom('events')
      .where('id', 'in', batch)
      .returning(['id', 'received_at'])
      .compile();
    return { sql: compiled.sql, parameters: compiled.parameters };
  }

  /** Throws when the store cannot answer; used by the readiness check. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.store.db);
  }
}

/** Events by source, type and status (any of those given) and by arrival time. */
interface EventSelection {
  sources?: string[];
  types?: string[];
  statuses?: EventStatus[];
  /** Received at or after this ISO time. */
  since?: string;
  /** Received before this ISO time. */
  until?: string;
}

/** The condition an admin search and a replay, backfill or recovery share. */
function matching(eb: ExpressionBuilder<Database, 'events'>, selection: EventSelection) {
  const terms: Expression<SqlBool>[] = [];
  if (selection.sources) terms.push(eb('source', 'in', selection.sources));
  if (selection.types) terms.push(eb('type', 'in', selection.types));
  if (selection.statuses) terms.push(eb('status', 'in', selection.statuses));
  if (selection.since) terms.push(eb('received_at', '>=', selection.since));
  if (selection.until) terms.push(eb('received_at', '<', selection.until));
  return eb.and(terms);
}
