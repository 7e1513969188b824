import { Inject, Injectable } from '@nestjs/common';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database, EventsTable, EventStatus, Store } from './database.js';
import { idFactory } from './ids.js';
import type { Statement } from './statement-runner.js';
import { STORE } from './store.tokens.js';

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
 * The `events` table: its writes, and the reads that ingest, classification and retention use.
 * Writes are statements for the StoreWriter (one group commit); the frequent ones are compiled
 * once by Kysely at start, so a request only binds its values. The reads for people are
 * EventReadsRepository's.
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
export interface EventSelection {
  sources?: string[];
  types?: string[];
  statuses?: EventStatus[];
  /** Received at or after this ISO time. */
  since?: string;
  /** Received before this ISO time. */
  until?: string;
}

/** The condition an admin search and a replay, backfill or recovery share. */
export function matching(eb: ExpressionBuilder<Database, 'events'>, selection: EventSelection) {
  const terms: Expression<SqlBool>[] = [];
  if (selection.sources) terms.push(eb('source', 'in', selection.sources));
  if (selection.types) terms.push(eb('type', 'in', selection.types));
  if (selection.statuses) terms.push(eb('status', 'in', selection.statuses));
  if (selection.since) terms.push(eb('received_at', '>=', selection.since));
  if (selection.until) terms.push(eb('received_at', '<', selection.until));
  return eb.and(terms);
}
