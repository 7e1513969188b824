import { Inject, Injectable } from '@nestjs/common';
import { decodeTime, encodeTime } from 'ulid';
import type { Store } from './database.js';
import { STORE } from './inbox.tokens.js';

/** The smallest event id of a time: ids are ULIDs, so a time range is an index range. */
export const idAt = (time: Date | number): string =>
  `${encodeTime(typeof time === 'number' ? time : time.getTime(), 10)}0000000000000000`;

/** When the event (or delivery) with this id was created. */
export const timeOfId = (id: string): Date => new Date(decodeTime(id));

export interface TypeCount {
  type: string;
  status: string;
  count: number;
  lastId: string;
}

export interface RecentEvent {
  id: string;
  source: string;
  type: string;
  status: string;
  rawBody: Buffer;
  verification: string;
  errors: string | null;
  receivedAt: string;
}

/**
 * Read-only questions the doctor asks about stored events, each answered from an index
 * (source+id, type+id, status+id, the id itself) over a bounded range.
 */
@Injectable()
export class EventStats {
  constructor(@Inject(STORE) private readonly store: Store) {}

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
  async typesByStatus(statuses: string[], since: Date): Promise<TypeCount[]> {
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
  async recent(options: { since: Date; limit: number; statuses?: string[] }): Promise<RecentEvent[]> {
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
