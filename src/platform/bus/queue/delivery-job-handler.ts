import { Injectable } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import type { DeliveriesTable } from '../../store/database.js';
import { DeliveriesRepository } from '../../store/deliveries.repository.js';
import { EventsRepository } from '../../store/events.repository.js';
import { StoreWriter } from '../../store/store-writer.service.js';
import type { QueuedDelivery } from '../delivery-queue.js';
import { fromRow } from '../delivery-rows.js';
import { DeliveryRunner, handedBack } from '../delivery-runner.js';
import { orderingOf } from '../ordering.js';
import type { SubscriberDefinition } from '../subscriber.js';

/** An ordered delivery whose older events are not classified yet looks again after this. */
const ORDER_WAIT_MS = 200;

/** What putting a delivery on the queue needs of its row. */
export type QueuedRow = Pick<
  QueuedDelivery,
  'id' | 'event_id' | 'subscriber_id' | 'order_key' | 'status' | 'next_attempt_at'
>;

/** When a delivery may run: a failed one at its next attempt, any other at once. */
export const dueAt = (row: Pick<DeliveriesTable, 'status' | 'next_attempt_at'>): number =>
  row.status === 'failed' && row.next_attempt_at ? Date.parse(row.next_attempt_at) : 0;

/**
 * What a BullMQ worker does with one job. The store, not the job, says whether the delivery is
 * still to run and whether its turn has come; the worker claims the row before it runs it, so
 * a job seen twice runs once.
 */
@Injectable()
export class DeliveryJobHandler {
  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly stored: EventsRepository,
    private readonly writer: StoreWriter,
    private readonly runner: DeliveryRunner,
  ) {}

  /**
   * Runs the delivery the job names, if it is still to run and its turn has come. Resolves with
   * the next delivery of its ordered key, which the caller puts on the queue, once this one is
   * done; rejects with BullMQ's DelayedError when the job went back on the queue for later.
   */
  async handle(subscriber: SubscriberDefinition, job: Job, token?: string): Promise<QueuedRow | undefined> {
    const row = await this.deliveries.get(job.id!);
    if (!row || (row.status !== 'pending' && row.status !== 'failed')) return;
    if (dueAt(row) > Date.now()) return this.later(job, token, dueAt(row));
    if (row.order_key !== null) {
      // An older event may still become a delivery of this key; classification takes ms.
      if (await this.stored.unclassifiedBefore(row.event_id))
        return this.later(job, token, Date.now() + ORDER_WAIT_MS);
      const hold = orderingOf(subscriber)?.onDead === 'hold';
      // Its turn comes when the older one finishes: that puts it on the queue again.
      if ((await this.deliveries.olderOfKey({ ...row, order_key: row.order_key }, hold, 1)).length) return;
    }
    // Stopping: not claimed, so another worker takes it at once.
    if (this.runner.signal.aborted) return this.later(job, token, Date.now());
    const [claimed] = (
      await this.writer.write([this.deliveries.claimForRun(row.id)])
    )[0] as DeliveriesTable[];
    if (!claimed) return;
    // A stop came while the claim was being written: the runner will not run it, so it goes
    // back unclaimed (no attempt counted) for another worker to run now. Left running, only
    // the sweep would take it back, after LOCK_MS and more, counted as interrupted.
    if (this.runner.signal.aborted) {
      await this.writer
        .write([this.deliveries.update(claimed.id, handedBack(fromRow(claimed), claimed.attempts))])
        .catch(() => undefined);
      return this.later(job, token, Date.now());
    }
    // The claim is the running mark (attempts counted): the runner need not wait for its own.
    const settled = await this.runner.attempt({
      ...fromRow(claimed),
      attempts: claimed.attempts - 1,
      fresh: true,
    });
    // Undefined: cut off by the stop (handed back as pending) or not recorded (the sweep's).
    if (!settled) return this.runner.signal.aborted ? this.later(job, token, Date.now()) : undefined;
    if (settled.status === 'failed') return this.later(job, token, settled.retryAt);
    if (claimed.order_key === null) return;
    const next = await this.deliveries.head(subscriber.id, claimed.order_key);
    return next && next.status !== 'running' ? next : undefined;
  }

  /** Back on the queue, delayed until `at`, under the same job id. */
  private async later(job: Job, token: string | undefined, at: number): Promise<never> {
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  }
}
