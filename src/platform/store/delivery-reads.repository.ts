import { Inject, Injectable } from '@nestjs/common';
import type { DeliveriesTable, DeliveryStatus, Store } from './database.js';
import { UNFINISHED } from './deliveries.repository.js';
import { STORE } from './store.tokens.js';

/** Unfinished deliveries of one subscriber: waiting, running, or failed and waiting for a retry. */
export interface Backlog {
  pending: number;
  running: number;
  failed: number;
  /** The oldest unfinished delivery's id (a ULID: it says when it was created). */
  oldestId?: string;
}

export interface DeadLetters {
  count: number;
  newest?: { id: string; eventId: string; lastError: string | null; finishedAt: string | null };
}

/**
 * The reads of the `deliveries` table that serve people, not the delivery queue: the admin
 * API and page, metrics and the doctor. The counts for metrics and the doctor are answered
 * from the (subscriber_id, status, id) index without reading the rows.
 */
@Injectable()
export class DeliveryReadsRepository {
  constructor(@Inject(STORE) private readonly store: Store) {}

  ofEvent(eventId: string): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('event_id', '=', eventId)
      .orderBy('id')
      .execute();
  }

  /** Newest first, older than the `before` cursor. */
  list(filter: {
    status?: DeliveryStatus;
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

  async backlog(subscriberId: string): Promise<Backlog> {
    const rows = await this.store.db
      .selectFrom('deliveries')
      .select((eb) => ['status', eb.fn.countAll<number | string>().as('n'), eb.fn.min('id').as('oldest')])
      .where('subscriber_id', '=', subscriberId)
      .where('status', 'in', UNFINISHED)
      .groupBy('status')
      .execute();
    const backlog: Backlog = { pending: 0, running: 0, failed: 0 };
    for (const row of rows) {
      backlog[row.status as (typeof UNFINISHED)[number]] = Number(row.n);
      if (!backlog.oldestId || row.oldest < backlog.oldestId) backlog.oldestId = row.oldest;
    }
    return backlog;
  }

  /** The newest failed delivery's last error, for the evidence of a backlog. */
  async newestFailure(subscriberId: string): Promise<string | null | undefined> {
    const row = await this.store.db
      .selectFrom('deliveries')
      .select('last_error')
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'failed')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.last_error;
  }

  async deadLetters(subscriberId: string): Promise<DeadLetters> {
    const count = await this.store.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    const n = Number(count?.n ?? 0);
    if (n === 0) return { count: 0 };
    const newest = await this.store.db
      .selectFrom('deliveries')
      .select(['id', 'event_id', 'last_error', 'finished_at'])
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'dead')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return {
      count: n,
      newest: newest && {
        id: newest.id,
        eventId: newest.event_id,
        lastError: newest.last_error,
        finishedAt: newest.finished_at,
      },
    };
  }
}
