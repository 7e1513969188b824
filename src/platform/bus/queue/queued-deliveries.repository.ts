import { Inject, Injectable } from '@nestjs/common';
import type { DeliveriesTable, Store } from '../../inbox/database.js';
import { STORE } from '../../inbox/inbox.tokens.js';
import type { Statement } from '../../inbox/statement-runner.js';

const RUNNABLE = ['pending', 'failed'];
const UNFINISHED = ['pending', 'running', 'failed'];

/** Why a delivery whose worker kept dying is dead. */
const crashLoop = (limit: number): string =>
  `the worker stopped ${limit + 1} times while this delivery ran; it is dead to stop a crash loop`;

/**
 * The store's side of deliveries carried by a queue: claiming one for a run (so a job seen
 * twice runs once), the next head of an ordered key, and what the sweep looks for. Reads go
 * to the store directly; writes are statements for the StoreWriter.
 */
@Injectable()
export class QueuedDeliveries {
  constructor(@Inject(STORE) private readonly store: Store) {}

  /**
   * Takes a delivery for one attempt: `running`, one attempt more, only while it is pending
   * or failed and due. The statement returns the row to the one caller that took it.
   */
  claim(id: string): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .updateTable('deliveries')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where('status', 'in', RUNNABLE)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .returningAll()
      .compile();
  }

  /**
   * A delivery left `running` by a worker that died (untouched since `before`): counted, and
   * back to pending, or dead past `limit` interruptions. Returns the row as updated.
   */
  reclaim(id: string, before: string, limit: number): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .updateTable('deliveries')
      .set((eb) => ({
        interruptions: eb('interruptions', '+', 1),
        status: eb.case().when('interruptions', '>=', limit).then('dead').else('pending').end(),
        finished_at: eb.case().when('interruptions', '>=', limit).then(now).else(null).end(),
        last_error: eb
          .case()
          .when('interruptions', '>=', limit)
          .then(crashLoop(limit))
          .else(eb.ref('last_error'))
          .end(),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('updated_at', '<', before)
      .returningAll()
      .compile();
  }

  /** Deliveries `running` and untouched since `before`: their worker is gone. */
  stale(before: string, limit: number): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'running')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  }

  /**
   * Pending or failed deliveries due before `dueBy`, untouched since `before` (the ones made
   * just now are on their way to the queue), that no older unfinished delivery of their
   * (subscriber, key) precedes; from the cursor on, in id order.
   */
  heads(options: {
    dueBy: string;
    before: string;
    after?: string;
    limit: number;
  }): Promise<DeliveriesTable[]> {
    let q = this.store.db
      .selectFrom('deliveries as d')
      .selectAll('d')
      .where('d.status', 'in', RUNNABLE)
      .where('d.updated_at', '<', options.before)
      .where((eb) =>
        eb.or([eb('d.next_attempt_at', 'is', null), eb('d.next_attempt_at', '<=', options.dueBy)]),
      )
      .where((eb) =>
        eb.or([
          eb('d.order_key', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries as o')
                .select('o.id')
                .whereRef('o.subscriber_id', '=', 'd.subscriber_id')
                .whereRef('o.order_key', '=', 'd.order_key')
                .where('o.status', 'in', UNFINISHED)
                .where((o) =>
                  o.or([
                    o('o.event_id', '<', o.ref('d.event_id')),
                    o.and([o('o.event_id', '=', o.ref('d.event_id')), o('o.id', '<', o.ref('d.id'))]),
                  ]),
                ),
            ),
          ),
        ]),
      )
      .orderBy('d.id')
      .limit(options.limit);
    if (options.after) q = q.where('d.id', '>', options.after);
    return q.execute();
  }

  /** The oldest unfinished delivery of a (subscriber, key): the one that may run next. */
  head(subscriberId: string, orderKey: string): Promise<DeliveriesTable | undefined> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('order_key', '=', orderKey)
      .where('status', 'in', UNFINISHED)
      .orderBy('event_id')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
  }
}
