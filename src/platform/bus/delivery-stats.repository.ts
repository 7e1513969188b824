import { Inject, Injectable } from '@nestjs/common';
import type { Store } from '../inbox/database.js';
import { STORE } from '../inbox/inbox.tokens.js';

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

const UNFINISHED = ['pending', 'running', 'failed'] as const;

/**
 * Read-only counts of deliveries for metrics and the doctor, each answered from the
 * (subscriber_id, status, id) index without reading the rows.
 */
@Injectable()
export class DeliveryStats {
  constructor(@Inject(STORE) private readonly store: Store) {}

  async backlog(subscriberId: string): Promise<Backlog> {
    const rows = await this.store.db
      .selectFrom('deliveries')
      .select((eb) => ['status', eb.fn.countAll<number | string>().as('n'), eb.fn.min('id').as('oldest')])
      .where('subscriber_id', '=', subscriberId)
      .where('status', 'in', [...UNFINISHED])
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

  async dead(subscriberId: string): Promise<DeadLetters> {
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
