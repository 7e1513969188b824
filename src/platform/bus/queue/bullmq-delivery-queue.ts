import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Job, Queue, Worker } from 'bullmq';
import type { AppConfig, ProcessRole } from '../../../config/app-config.js';
import { DeliveriesRepository } from '../../store/deliveries.repository.js';
import { DeliveryQueue, SubscriberBacklog } from '../delivery-queue.js';
import { DeliveryRunner } from '../delivery-runner.js';
import { describe } from '../retry-policy.js';
import { SubscriberRegistry } from '../subscriber-registry.service.js';
import type { SubscriberDefinition } from '../subscriber.js';
import { DeliveryJobHandler, dueAt, type QueuedRow } from './delivery-job-handler.js';

/** Redis keys of Switchyard's queues start with this. */
const PREFIX = 'switchyard';
/** A worker that stops renewing its lock this long is taken for dead by BullMQ. */
export const LOCK_MS = 15_000;
/** An add that Redis has not answered within this counts as failed; the sweep adds it later. */
const ADD_TIMEOUT_MS = 2000;
/** Workers get this long to finish or hand back what runs at a stop. */
const STOP_MS = 5000;

/** BullMQ queue names may not hold ':'; subscriber ids hold letters, digits, '.', '_' and '-'. */
const queueName = (subscriberId: string) => `deliveries.${subscriberId.replaceAll(':', '_')}`;

/**
 * The delivery queue on BullMQ/Redis (REDIS_URL): one queue per subscriber, the delivery id
 * as job id, so adding a delivery twice is harmless. The store stays the record of each
 * delivery's state: DeliveryJobHandler claims the row before it runs it (a job seen twice runs
 * once), commits the outcome, and re-queues a failed one with its delay. Of an ordered
 * (subscriber, key) only the oldest unfinished delivery is on the queue; committing its
 * outcome puts the next one there. What a crash or an outage left off the queue, DeliverySweep
 * puts back.
 */
@Injectable()
export class BullmqDeliveryQueue extends DeliveryQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Queue');
  private readonly redisUrl?: string;
  private readonly role: ProcessRole;
  private readonly concurrency: number;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private trouble: string | null = null;
  private counts: Record<string, SubscriberBacklog> = {};

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly deliveries: DeliveriesRepository,
    private readonly runner: DeliveryRunner,
    private readonly jobs: DeliveryJobHandler,
    config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.redisUrl = config.get('queue', { infer: true }).redisUrl;
    this.role = config.get('server', { infer: true }).role;
    this.concurrency = config.get('delivery', { infer: true }).concurrency;
  }

  /** Whether deliveries travel on Redis (REDIS_URL is set). */
  get active(): boolean {
    return this.redisUrl !== undefined;
  }

  /** Whether this process runs deliveries from the queue. */
  get working(): boolean {
    return this.active && this.role !== 'api';
  }

  /** Starts a worker per subscriber (not in an api process). */
  start(): void {
    if (!this.working) return;
    for (const subscriber of this.registry.all().values()) {
      if (subscriber.unavailable) continue;
      const worker = new Worker(
        queueName(subscriber.id),
        (job, token) => this.process(subscriber, job, token),
        {
          connection: { url: this.redisUrl, maxRetriesPerRequest: null },
          prefix: PREFIX,
          concurrency: this.concurrency,
          lockDuration: LOCK_MS,
          stalledInterval: LOCK_MS,
        },
      );
      worker.on('error', (error) => this.failing(error));
      // The store refused a read or a claim: the row is unchanged, the sweep puts it back.
      worker.on('failed', (job, error) => {
        if (this.quiet()) return;
        this.logger.warn(
          `delivery ${job?.id} could not start: ${describe(error)}; the sweep puts it back on the queue`,
        );
      });
      this.workers.push(worker);
    }
    this.logger.log(
      `running deliveries from Redis: ${this.workers.length} queue(s), ${this.concurrency} at once each`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Running handlers see their signal abort; what they hand back goes to another worker.
    this.runner.stop();
    const closing = Promise.all(this.workers.map((worker) => worker.close()));
    const timer = new Promise((resolve) => setTimeout(resolve, STOP_MS).unref());
    await Promise.race([closing, timer]);
    await Promise.all(this.workers.map((worker) => worker.close(true).catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }

  /**
   * Puts deliveries on their subscribers' queues, due ones at once and failed ones at their
   * next attempt; an ordered one only when it is the oldest unfinished of its key. Idempotent
   * (the delivery id is the job id). Never rejects: what Redis refuses the sweep adds later.
   */
  async dispatch(rows: readonly QueuedRow[]): Promise<void> {
    if (!this.active || rows.length === 0) return;
    const bySubscriber = new Map<string, QueuedRow[]>();
    try {
      for (const row of rows) {
        if (!this.registry.all().has(row.subscriber_id)) continue;
        if (row.order_key !== null && !(await this.isHead(row))) continue;
        bySubscriber.set(row.subscriber_id, [...(bySubscriber.get(row.subscriber_id) ?? []), row]);
      }
      const now = Date.now();
      await Promise.all(
        [...bySubscriber].map(([subscriberId, list]) =>
          withTimeout(
            this.queueOf(subscriberId).addBulk(
              list.map((row) => ({
                name: 'delivery',
                data: { eventId: row.event_id },
                opts: {
                  jobId: row.id,
                  delay: Math.max(0, dueAt(row) - now),
                  removeOnComplete: true,
                  removeOnFail: true,
                },
              })),
            ),
            ADD_TIMEOUT_MS,
          ),
        ),
      );
      this.recovered();
    } catch (error) {
      this.failing(error);
    }
  }

  /** Jobs per subscriber, counted in Redis; while it does not answer, as last counted. */
  async backlog(): Promise<Record<string, SubscriberBacklog>> {
    await this.count().catch((error: unknown) => this.failing(error));
    return { ...this.counts };
  }

  /** Its jobs wait in Redis, not in this process. */
  waitingInMemory(): number {
    return 0;
  }

  /** Why the queue does not work right now; null while it does. */
  problem(): string | null {
    return this.trouble;
  }

  /** Asks Redis for the counts of every queue; rejects when it does not answer. */
  async count(): Promise<void> {
    const counts: Record<string, SubscriberBacklog> = {};
    for (const id of this.subscriberIds()) {
      const found = await withTimeout(
        this.queueOf(id).getJobCounts('wait', 'delayed', 'active', 'prioritized'),
        ADD_TIMEOUT_MS,
      );
      counts[id] = {
        waiting: (found.wait ?? 0) + (found.delayed ?? 0) + (found.prioritized ?? 0),
        running: found.active ?? 0,
      };
    }
    this.counts = counts;
    this.recovered();
  }

  /** Redis answers (for /health/ready). */
  async ping(): Promise<void> {
    const [id] = this.subscriberIds();
    if (id === undefined) return;
    await withTimeout(this.queueOf(id).getJobCounts('wait'), ADD_TIMEOUT_MS);
  }

  /** Subscribers that can run here: a module that is off has no queue (and no connection). */
  private subscriberIds(): string[] {
    return [...this.registry.all().values()].filter((s) => !s.unavailable).map((s) => s.id);
  }

  private async isHead(row: QueuedRow): Promise<boolean> {
    const older = await this.deliveries.olderOfKey({ ...row, order_key: row.order_key! }, false, 1);
    return older.length === 0;
  }

  private queueOf(subscriberId: string): Queue {
    let queue = this.queues.get(subscriberId);
    if (!queue) {
      // Fail fast while Redis is away: the rows are committed, the sweep adds them later.
      queue = new Queue(queueName(subscriberId), {
        connection: { url: this.redisUrl, enableOfflineQueue: false },
        prefix: PREFIX,
      });
      queue.on('error', (error) => this.failing(error));
      this.queues.set(subscriberId, queue);
    }
    return queue;
  }

  /** One job; when it finishes an ordered delivery, the next of its key goes on the queue. */
  private async process(subscriber: SubscriberDefinition, job: Job, token?: string): Promise<void> {
    const next = await this.jobs.handle(subscriber, job, token);
    if (next) await this.dispatch([next]);
  }

  private warnedAt = 0;

  /** At most one such warning every 10 s: an outage must not flood the log. */
  private quiet(): boolean {
    if (Date.now() - this.warnedAt < 10_000) return true;
    this.warnedAt = Date.now();
    return false;
  }

  private failing(error: unknown): void {
    const reason = `Redis is unreachable: ${describe(error)}`;
    if (this.trouble === null)
      this.logger.warn(`${reason}; events are still stored and acknowledged, and queued when it is back`);
    this.trouble = reason;
  }

  private recovered(): void {
    if (this.trouble === null) return;
    this.trouble = null;
    this.logger.log('Redis is reachable again');
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
