import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EventStatus, Store } from './database.js';
import { matching } from './events.repository.js';
import { idAt } from './ids.js';
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

/**
 * The reads of the `events` table that serve people, not ingest: the admin API's search and
 * per-source counts, and the doctor's. The counts the doctor asks for are each answered from an
 * index over a bounded range.
 */
@Injectable()
export class EventReadsRepository {
  constructor(@Inject(STORE) private readonly store: Store) {}

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
}
