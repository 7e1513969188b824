import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import type { AppConfig, DeliveryConfig } from '../../config/app-config.js';
import { DeliveryLane, Job } from './delivery-lane.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryQueue, QueuedDelivery, SubscriberBacklog } from './delivery-queue.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { fromRow } from './delivery-rows.js';
import { DeliveryRunner, Settled } from './delivery-runner.js';
import { DeliveryRepository } from './delivery.repository.js';
import { Ordering, orderingOf } from './ordering.js';
import { sleep } from './persist.js';
import { describe } from './retry-policy.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/** PostgreSQL: how often the delivering process looks for deliveries the others made or claimed. */
const POLL_MS = 1000;
/** Clocks of processes on one database may differ a little; a poll looks back this far. */
const POLL_OVERLAP_MS = 5000;
/** Rows a poll adopts at most. */
const POLL_LIMIT = 1000;

/**
 * The default DeliveryQueue: one lane per subscriber in this process's memory (bounded
 * concurrency, per-key order, retry timers). On PostgreSQL only the process that
 * DeliveryLeadership picks runs deliveries; it polls for those the others made.
 */
@Injectable()
export class InProcessDeliveryQueue
  extends DeliveryQueue
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Delivery');
  private readonly settings: DeliveryConfig;
  private readonly lanes = new Map<string, DeliveryLane>();
  private readonly orderings = new Map<string, Ordering>();
  /** Attempts whose outcome is not committed yet; shutdown waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private leading = false;
  private poller?: NodeJS.Timeout;
  private polledAt = 0;

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly repository: DeliveryRepository,
    private readonly runner: DeliveryRunner,
    private readonly leadership: DeliveryLeadership,
    private readonly modules: ModuleRef,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.settings = config.get('delivery', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const subscriber of this.registry.all().values()) {
      this.lanes.set(subscriber.id, new DeliveryLane(this.settings.concurrency, (job) => this.run(job)));
      const ordering = orderingOf(subscriber);
      if (ordering) this.orderings.set(subscriber.id, ordering);
    }
    // An api process runs no deliveries; with REDIS_URL, BullMQ carries them (not this queue).
    if (this.config.get('server', { infer: true }).role === 'api') {
      this.logger.log('role api: this process runs no deliveries');
      return;
    }
    if (this.config.get('queue', { infer: true }).redisUrl) return;
    await this.leadership.start(this.config.get('store', { infer: true }).databaseUrl, (leading) =>
      this.lead(leading),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort(new Error('the service is stopping'));
    this.runner.stop();
    clearInterval(this.poller);
    for (const lane of this.lanes.values()) lane.stop();
    const deadline = Date.now() + 5000;
    while (
      ([...this.lanes.values()].some((lane) => lane.active > 0) || this.inFlight.size > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.leadership.stop();
  }

  dispatch(rows: readonly QueuedDelivery[], options: { fresh?: boolean } = {}): Promise<void> {
    if (!this.leading) return Promise.resolve();
    for (const row of rows) this.take(row, options.fresh === true);
    return Promise.resolve();
  }

  backlog(): Promise<Record<string, SubscriberBacklog>> {
    return Promise.resolve(
      Object.fromEntries(
        [...this.lanes].map(([id, lane]) => [id, { waiting: lane.size - lane.active, running: lane.active }]),
      ),
    );
  }

  problem(): string | null {
    return null;
  }

  /** Into its lane; a copy in memory waiting for its retry or held dead runs now. */
  private take(row: QueuedDelivery, fresh: boolean): void {
    const lane = this.lanes.get(row.subscriber_id);
    if (!lane) return;
    const job = lane.get(row.id);
    if (!job) return void lane.add(fresh ? { ...fromRow(row), fresh } : fromRow(row));
    if (row.status === 'pending' && (job.timer || job.held)) {
      job.attempts = row.attempts;
      job.throttles = row.throttles;
      lane.runNow(row.id);
    }
  }

  private lead(leading: boolean): void {
    this.leading = leading;
    if (!leading) {
      clearInterval(this.poller);
      for (const lane of this.lanes.values()) lane.clear();
      if (this.leadership.shared)
        this.logger.log(
          'another process runs deliveries (PostgreSQL advisory lock); this one receives, stores and classifies (api) and takes over if that process stops',
        );
      return;
    }
    if (this.leadership.shared)
      this.logger.log('this process runs deliveries (it holds the PostgreSQL advisory lock)');
    void this.retrying('resuming unfinished deliveries', () =>
      this.recovery.resume(
        (rows) => this.dispatch(rows),
        () => this.leading && !this.stopping.signal.aborted,
      ),
    ).then(() => {
      if (!this.leadership.shared || !this.leading || this.stopping.signal.aborted) return;
      this.poller = setInterval(() => void this.poll(), POLL_MS);
      this.poller.unref();
    });
  }

  /** Resolved when needed: recovery classifies through the router, which dispatches here. */
  private get recovery(): DeliveryRecovery {
    return this.modules.get(DeliveryRecovery, { strict: false });
  }

  /**
   * A lane's run: resolves when the delivery's slot is free (its handler is done); the lane
   * moves on once the outcome is committed.
   */
  private async run(job: Job): Promise<void> {
    const lane = this.lanes.get(job.subscriberId)!;
    if (this.stopping.signal.aborted || !this.leading) return;
    try {
      if (job.orderKey !== null && (await this.olderFirst(lane, job))) return;
    } catch (error) {
      return this.failed(lane, job, error);
    }
    await new Promise<void>((handled) => {
      const attempt = this.runner
        .attempt(job, handled)
        .then((settled) => this.settle(lane, job, settled))
        .catch((error: unknown) => {
          handled();
          this.failed(lane, job, error);
        })
        .finally(() => this.inFlight.delete(attempt));
      this.inFlight.add(attempt);
    });
  }

  /** Only the store can get here (a handler's errors are outcomes): try again later. */
  private failed(lane: DeliveryLane, job: Job, error: unknown): void {
    this.logger.error(`delivery ${job.id} could not run: ${describe(error)}`);
    lane.reschedule(job, Date.now() + this.settings.backoff.initialMs);
  }

  private settle(lane: DeliveryLane, job: Job, settled: Settled | undefined): void {
    if (!settled) return;
    if (settled.status === 'failed') return lane.reschedule(job, settled.retryAt);
    if (
      settled.status === 'dead' &&
      job.orderKey !== null &&
      this.orderings.get(job.subscriberId)?.onDead === 'hold'
    )
      return lane.hold(job);
    lane.finish(job);
  }

  /**
   * Ordered deliveries run oldest first. In memory that holds by itself; on PostgreSQL
   * another process may have made an older one, and with `onDead: hold` a dead one holds its
   * key across restarts: the store says which exist. True when this job must wait.
   */
  private async olderFirst(lane: DeliveryLane, job: Job): Promise<boolean> {
    const hold = this.orderings.get(job.subscriberId)?.onDead === 'hold';
    if (!this.leadership.shared && !hold) return false;
    if (this.leadership.shared && (await this.repository.unclassifiedBefore(job.eventId))) {
      // An older event may still become a delivery of this key; classification takes ms.
      lane.reschedule(job, Date.now() + 100);
      return true;
    }
    const row = {
      id: job.id,
      event_id: job.eventId,
      subscriber_id: job.subscriberId,
      order_key: job.orderKey!,
    };
    const older = (await this.repository.olderOfKey(row, hold, 100)).filter((r) => !lane.has(r.id));
    if (older.length === 0) return false;
    lane.stepBack(
      job,
      older.map((r) => ({ ...fromRow(r), held: r.status === 'dead' })),
    );
    return true;
  }

  /**
   * PostgreSQL, in the process that runs deliveries: picks up deliveries the other processes
   * made or repairs claimed, and classifies events another process stored but did not (it
   * stopped first).
   */
  private async poll(): Promise<void> {
    if (!this.leading || this.stopping.signal.aborted) return;
    const started = Date.now();
    try {
      const since = new Date((this.polledAt || started) - POLL_OVERLAP_MS).toISOString();
      await this.dispatch(await this.repository.pendingSince(since, POLL_LIMIT));
      await this.recovery.classifyStored({
        statuses: ['received'],
        until: new Date(started - POLL_OVERLAP_MS).toISOString(),
      });
      this.polledAt = started;
    } catch (error) {
      this.logger.warn(`looking for deliveries made by other processes failed: ${describe(error)}`);
    }
  }

  /** Runs a task until it completes, waiting longer after each failure; in the background. */
  private async retrying(what: string, task: () => Promise<void>): Promise<void> {
    for (let wait = 1000; !this.stopping.signal.aborted; wait = Math.min(wait * 2, 30_000)) {
      try {
        return await task();
      } catch (error) {
        this.logger.warn(`${what} failed: ${describe(error)}; trying again in ${wait / 1000} s`);
        await sleep(wait, this.stopping.signal);
      }
    }
  }
}
