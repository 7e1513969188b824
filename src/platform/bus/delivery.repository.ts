import { Inject, Injectable } from '@nestjs/common';
import { monotonicFactory } from 'ulid';
import type { DeliveriesTable, Store } from '../inbox/database.js';
import { STORE } from '../inbox/inbox.tokens.js';
import type { Statement } from '../inbox/statement-runner.js';
import { StoreWriter } from '../inbox/store-writer.service.js';

export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'dead';

/** A delivery as the admin API shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  subscriberId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export const toView = (row: DeliveriesTable): DeliveryView => ({
  id: row.id,
  eventId: row.event_id,
  subscriberId: row.subscriber_id,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastError: row.last_error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'subscriber_id',
  'status',
  'attempts',
  'next_attempt_at',
  'order_key',
  'last_error',
  'created_at',
  'updated_at',
  'finished_at',
] as const satisfies readonly (keyof DeliveriesTable)[];

/**
 * Reads and writes of deliveries and event statuses. Writes go through the StoreWriter (one
 * group commit with the events); the frequent ones are compiled once by Kysely at start.
 */
@Injectable()
export class DeliveryRepository {
  readonly nextId = monotonicFactory();
  private readonly sql: { insert: string; update: string; eventStatus: string };

  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
  ) {
    const { db } = store;
    const sample = Object.fromEntries(DELIVERY_COLUMNS.map((c) => [c, null])) as unknown as DeliveriesTable;
    this.sql = {
      insert: db.insertInto('deliveries').values(sample).compile().sql,
      update: db
        .updateTable('deliveries')
        .set({
          status: '',
          attempts: 0,
          next_attempt_at: null,
          last_error: null,
          updated_at: '',
          finished_at: null,
        })
        .where('id', '=', '')
        .compile().sql,
      eventStatus: db
        .updateTable('events')
        .set({ status: '', errors: null, updated_at: '' })
        .where('id', '=', '')
        .compile().sql,
    };
  }

  /** Statements only; the caller commits them together through write(). */
  insert(row: DeliveriesTable): Statement {
    return { sql: this.sql.insert, parameters: DELIVERY_COLUMNS.map((c) => row[c]) };
  }

  update(
    id: string,
    change: {
      status: DeliveryStatus;
      attempts: number;
      nextAttemptAt: string | null;
      lastError: string | null;
      finishedAt: string | null;
    },
  ): Statement {
    const now = new Date().toISOString();
    return {
      sql: this.sql.update,
      parameters: [
        change.status,
        change.attempts,
        change.nextAttemptAt,
        change.lastError,
        now,
        change.finishedAt,
        id,
      ],
    };
  }

  eventStatus(eventId: string, status: string, errors?: unknown): Statement {
    return {
      sql: this.sql.eventStatus,
      parameters: [
        status,
        errors === undefined ? null : JSON.stringify(errors),
        new Date().toISOString(),
        eventId,
      ],
    };
  }

  write(statements: Statement[]): Promise<unknown[][]> {
    return this.writer.write(statements);
  }

  /** Deliveries a stop interrupted or that wait for a retry, oldest event first. */
  unfinished(): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', 'in', ['pending', 'running', 'failed'])
      .orderBy('event_id')
      .orderBy('id')
      .execute();
  }

  get(id: string): Promise<DeliveriesTable | undefined> {
    return this.store.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  ofEvent(eventId: string): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('event_id', '=', eventId)
      .orderBy('id')
      .execute();
  }

  list(filter: {
    status?: string;
    subscriber?: string;
    eventId?: string;
    before?: string;
    limit: number;
  }): Promise<DeliveriesTable[]> {
    let q = this.store.db.selectFrom('deliveries').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.subscriber) q = q.where('subscriber_id', '=', filter.subscriber);
    if (filter.eventId) q = q.where('event_id', '=', filter.eventId);
    if (filter.before) q = q.where('id', '<', filter.before);
    return q.execute();
  }

  /** Stored events in id (= arrival) order, with what classification needs. */
  events(filter: {
    ids?: string[];
    statuses?: string[];
    sources?: string[];
    types?: string[];
    since?: string;
    until?: string;
    after?: string;
    limit: number;
  }) {
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'request_id', 'type', 'status', 'raw_body', 'received_at'])
      .orderBy('id')
      .limit(filter.limit);
    if (filter.ids) q = q.where('id', 'in', filter.ids);
    if (filter.statuses) q = q.where('status', 'in', filter.statuses);
    if (filter.sources) q = q.where('source', 'in', filter.sources);
    if (filter.types) q = q.where('type', 'in', filter.types);
    if (filter.since) q = q.where('received_at', '>=', filter.since);
    if (filter.until) q = q.where('received_at', '<', filter.until);
    if (filter.after) q = q.where('id', '>', filter.after);
    return q.execute();
  }

  /** Ids of the events among these that already have a delivery for the subscriber. */
  async delivered(subscriberId: string, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.store.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('subscriber_id', '=', subscriberId)
      .where('event_id', 'in', eventIds)
      .execute();
    return new Set(rows.map((row) => row.event_id));
  }
}
