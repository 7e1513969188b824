import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig } from '../../../config/app-config.js';
import type { DeliveriesTable } from '../../store/database.js';
import { DeliveriesRepository } from '../../store/deliveries.repository.js';
import { DeliveryAttemptsRepository } from '../../store/delivery-attempts.repository.js';
import { StoreWriter } from '../../store/store-writer.service.js';
import { BUS_SIGNALS, DeliverySignal } from '../bus-signals.js';
import { DeliveryRecovery } from '../delivery-recovery.js';
import { describe } from '../retry-policy.js';
import { SubscriberRegistry } from '../subscriber-registry.service.js';
import { BullmqDeliveryQueue, LOCK_MS } from './bullmq-delivery-queue.js';

/** How often each worker process sweeps. */
const SWEEP_MS = 3000;
/** Deliveries made or changed this recently are on their way to the queue already. */
const GRACE_MS = 5000;
/** Failed deliveries due within this are put on the queue (delayed) by this sweep. */
const LOOKAHEAD_MS = 2 * SWEEP_MS;
const PAGE = 500;
/** A delivery whose worker died this many times already is dead at the next. */
const MAX_INTERRUPTIONS = 2;

/**
 * In every process that runs deliveries from Redis, every few seconds: deliveries left
 * `running` by a worker that died go back to pending (counted, dead past MAX_INTERRUPTIONS),
 * events an api stored but did not classify are classified, and the due heads that a crash
 * or a Redis outage left off the queue go back on it. Every
 * step is idempotent (conditional updates, job id = delivery id): any number of workers may
 * sweep at once.
 */
@Injectable()
export class DeliverySweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Queue');
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private cursor?: string;
  private failures = 0;
  private staleMs = 0;

  constructor(
    private readonly queue: BullmqDeliveryQueue,
    private readonly deliveries: DeliveriesRepository,
    private readonly attempts: DeliveryAttemptsRepository,
    private readonly writer: StoreWriter,
    private readonly emitter: EventEmitter2,
    private readonly registry: SubscriberRegistry,
    private readonly recovery: DeliveryRecovery,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.queue.working) return;
    const timeouts = [...this.registry.all().values()].map((s) => s.timeoutMs ?? 0);
    // A live worker's handler ends by its timeout; its row was touched at the claim.
    this.staleMs = Math.max(this.config.get('delivery', { infer: true }).timeoutMs, ...timeouts) + LOCK_MS;
    this.queue.start();
    this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.timer.unref();
    void this.sweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep; a sweep still running is not doubled. */
  sweep(): Promise<void> {
    this.sweeping ??= this.once().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async once(): Promise<void> {
    try {
      await this.reclaim();
      const now = Date.now();
      // Events an api stored but did not classify (it stopped first) become deliveries.
      await this.recovery.classifyStored({
        statuses: ['received'],
        until: new Date(now - GRACE_MS).toISOString(),
      });
      const heads = await this.deliveries.heads({
        dueBy: new Date(now + LOOKAHEAD_MS).toISOString(),
        before: new Date(now - GRACE_MS).toISOString(),
        after: this.cursor,
        limit: PAGE,
      });
      // Page on at the next sweep, so a long backlog is gone through entirely.
      this.cursor = heads.length === PAGE ? heads[heads.length - 1].id : undefined;
      await this.queue.dispatch(heads);
      await this.queue.count();
      this.failures = 0;
    } catch (error) {
      if (this.failures++ % 10 === 0)
        this.logger.warn(`sweeping the delivery queue failed: ${describe(error)}`);
    }
  }

  /** Deliveries whose worker died while running them. */
  private async reclaim(): Promise<void> {
    const before = new Date(Date.now() - this.staleMs).toISOString();
    const stale = await this.deliveries.stale(before, PAGE);
    const back: DeliveriesTable[] = [];
    for (const row of stale) {
      const written = await this.writer.write([
        this.attempts.interrupted(row.id, MAX_INTERRUPTIONS),
        this.deliveries.interrupted(row.id, MAX_INTERRUPTIONS, { status: 'pending', staleBefore: before }),
      ]);
      const [updated] = written[1] as DeliveriesTable[];
      if (!updated) continue;
      if (updated.status === 'pending') back.push(updated);
      else this.emitter.emit(BUS_SIGNALS.deadLettered, signalOf(updated));
    }
    if (back.length)
      this.logger.warn(`${back.length} deliveries were cut off by a worker that stopped; they run again`);
    await this.queue.dispatch(back);
  }
}

const signalOf = (row: DeliveriesTable): DeliverySignal => ({
  deliveryId: row.id,
  eventId: row.event_id,
  subscriberId: row.subscriber_id,
  attempt: row.attempts,
  throttles: row.throttles,
  error: row.last_error,
});
