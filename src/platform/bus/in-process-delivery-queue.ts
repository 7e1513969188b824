import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import type { AppConfig, DeliveryConfig } from '../../config/app-config.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { EventsRepository } from '../store/events.repository.js';
import { DeliveryLane, Job } from './delivery-lane.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryQueue, QueuedDelivery, SubscriberBacklog } from './delivery-queue.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { fromRow } from './delivery-rows.js';
import { DeliveryRunner, Settled } from './delivery-runner.js';
import { FEED_MS, LaneFeed } from './lane-feed.js';
import { Ordering, orderingOf } from './ordering.js';
import { PeerPoll } from './peer-poll.js';
import { retrying } from './persist.js';
import { describe } from './retry-policy.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/** A failed delivery whose retry is further off than this leaves memory until it is due. */
const EVICT_AFTER_MS = 5000;

/**
 * The default DeliveryQueue: one lane per subscriber in this process's memory (bounded
 * concurrency, per-key order, retry timers), each paged from the store by its LaneFeed. On
 * PostgreSQL only the process that DeliveryLeadership picks runs deliveries; its PeerPoll picks
 * up those the others made.
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
  private readonly feeds = new Map<string, LaneFeed>();
  private feeder?: NodeJS.Timeout;
  /** Attempts whose outcome is not committed yet; shutdown waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private leading = false;
  private readonly peers: PeerPoll;

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly deliveries: DeliveriesRepository,
    private readonly stored: EventsRepository,
    private readonly runner: DeliveryRunner,
    private readonly leadership: DeliveryLeadership,
    private readonly modules: ModuleRef,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.settings = config.get('delivery', { infer: true });
    this.peers = new PeerPoll({
      deliveries,
      recovery: () => this.recovery,
      dispatch: (rows) => this.dispatch(rows),
      running: () => this.running,
      logger: this.logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const subscriber of this.registry.all().values()) {
      const lane = new DeliveryLane(this.settings.concurrency, (job) => this.run(job));
      this.lanes.set(subscriber.id, lane);
      this.feeds.set(
        subscriber.id,
        new LaneFeed(
          subscriber.id,
          lane,
          this.settings.window,
          this.deliveries,
          () => this.running,
          this.logger,
        ),
      );
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
    this.peers.stop();
    clearInterval(this.feeder);
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

  waitingInMemory(): number {
    let waiting = 0;
    for (const lane of this.lanes.values()) waiting += lane.size - lane.active;
    return waiting;
  }

  /** Into its lane; a copy in memory waiting for its retry or held dead runs now. */
  private take(row: QueuedDelivery, fresh: boolean): void {
    const lane = this.lanes.get(row.subscriber_id);
    if (!lane) return;
    const job = lane.get(row.id);
    if (!job) {
      // A full window leaves it in the store, from where the lane pages it in when there is room.
      if (lane.size >= this.settings.window) return this.feeds.get(row.subscriber_id)!.spill(row.status);
      return void lane.add(fresh ? { ...fromRow(row), fresh } : fromRow(row));
    }
    if (row.status === 'pending' && (job.timer || job.held)) {
      job.attempts = row.attempts;
      job.throttles = row.throttles;
      lane.runNow(row.id);
    }
  }

  private lead(leading: boolean): void {
    this.leading = leading;
    if (!leading) {
      this.peers.stop();
      clearInterval(this.feeder);
      for (const lane of this.lanes.values()) lane.clear();
      for (const feed of this.feeds.values()) feed.reset();
      if (this.leadership.shared)
        this.logger.log(
          'another process runs deliveries (PostgreSQL advisory lock); this one receives, stores and classifies (api) and takes over if that process stops',
        );
      return;
    }
    if (this.leadership.shared)
      this.logger.log('this process runs deliveries (it holds the PostgreSQL advisory lock)');
    // Deliveries a stop cut off are counted and taken; the rest of the backlog is paged in by
    // each lane from the store as its window has room (memory stays bounded after a restart).
    void retrying(
      'resuming unfinished deliveries',
      () =>
        this.recovery.interruptions(
          (rows) => this.dispatch(rows),
          () => this.running,
        ),
      { signal: this.stopping.signal, warn: (message) => this.logger.warn(message) },
    ).then(() => {
      if (!this.running) return;
      for (const feed of this.feeds.values()) {
        feed.resume();
        void feed.refill();
      }
      this.feeder = setInterval(() => {
        for (const feed of this.feeds.values()) void feed.refill();
      }, FEED_MS);
      this.feeder.unref();
      if (this.leadership.shared && this.running) this.peers.start();
    });
  }

  /** This process runs deliveries: it leads, and is not stopping. */
  private get running(): boolean {
    return this.leading && !this.stopping.signal.aborted;
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
    if (!this.running) return;
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
    const feed = this.feeds.get(job.subscriberId)!;
    if (settled.status === 'failed') {
      if (settled.retryAt - Date.now() <= EVICT_AFTER_MS) return lane.reschedule(job, settled.retryAt);
      // Far off: the store keeps it (and its key's followers) until it is due.
      lane.evict(job);
      feed.evicted(job.id);
      if (job.orderKey !== null) feed.spill('pending');
      return;
    }
    if (
      settled.status === 'dead' &&
      job.orderKey !== null &&
      this.orderings.get(job.subscriberId)?.onDead === 'hold'
    )
      return lane.hold(job);
    lane.finish(job);
    feed.finished(job.id);
    // The next of its key may be in the store only.
    if (job.orderKey !== null && feed.windowed) feed.spill('pending');
    feed.refillIfLow();
  }

  /**
   * Ordered deliveries run oldest first. In memory that holds by itself; on PostgreSQL
   * another process may have made an older one, and with `onDead: hold` a dead one holds its
   * key across restarts: the store says which exist. True when this job must wait.
   */
  private async olderFirst(lane: DeliveryLane, job: Job): Promise<boolean> {
    const hold = this.orderings.get(job.subscriberId)?.onDead === 'hold';
    const feed = this.feeds.get(job.subscriberId)!;
    if (!this.leadership.shared && !hold && !feed.windowed) return false;
    if (this.leadership.shared && (await this.stored.unclassifiedBefore(job.eventId))) {
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
    const found = await this.deliveries.olderOfKey(row, hold, 100);
    // Older ones in memory joined behind this one (it was on its way): they go first too.
    const older = found.filter((r) => !lane.has(r.id));
    if (found.length === 0) return false;
    const head = found[0];
    if (
      head.status === 'failed' &&
      head.next_attempt_at !== null &&
      Date.parse(head.next_attempt_at) - Date.now() > EVICT_AFTER_MS
    ) {
      // Its key waits for a retry far off: the whole key waits in the store.
      lane.evict(job);
      feed.evicted();
      return true;
    }
    lane.stepBack(
      job,
      older.map((r) => ({ ...fromRow(r), held: r.status === 'dead' })),
    );
    return true;
  }
}
