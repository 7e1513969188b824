import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BUS_SIGNALS, type DeliverySignal } from '../bus/bus-signals.js';
import { DeliveryEngine } from '../bus/delivery-engine.service.js';
import { DeliveryQueue } from '../bus/delivery-queue.js';
import { DeliveryReadsRepository } from '../store/delivery-reads.repository.js';
import { timeOfId } from '../store/ids.js';
import { type RetentionRun, STORE_SIGNALS, type StoreCommittedSignal } from '../store/store-signals.js';
import { WEBHOOK_SIGNALS, type WebhookAnsweredSignal } from '../webhooks/webhook-signals.js';

/** A request to an unknown source is counted under this label, so labels stay bounded. */
const UNKNOWN_SOURCE = '(unknown)';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The Prometheus metrics of one process, in a registry of its own. Counters and histograms
 * move on the platform's signals; the backlog gauges are read from the store on scrape.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');

  private readonly webhookRequests = new Counter({
    name: 'switchyard_webhook_requests_total',
    help: 'POST /webhooks/:source answers, by source, event type (empty before the body is verified), outcome (stored, duplicate, rejected) and HTTP status',
    labelNames: ['source', 'type', 'outcome', 'status'] as const,
    registers: [this.registry],
  });
  private readonly webhookSeconds = new Histogram({
    name: 'switchyard_webhook_duration_seconds',
    help: 'Time from receiving a webhook to the last byte of the answer (the commit included), by source and outcome',
    labelNames: ['source', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly verificationFailures = new Counter({
    name: 'switchyard_verification_failures_total',
    help: 'Webhooks refused with 401, by source, reason (the check that failed) and cause (what most likely went wrong)',
    labelNames: ['source', 'reason', 'cause'] as const,
    registers: [this.registry],
  });
  private readonly commitSeconds = new Histogram({
    name: 'switchyard_store_commit_duration_seconds',
    help: 'Duration of one store transaction (a group commit of events and delivery updates), by outcome',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly commitStatements = new Counter({
    name: 'switchyard_store_statements_total',
    help: 'Statements committed (or refused) by the store, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly deliveryAttempts = new Counter({
    name: 'switchyard_delivery_attempts_total',
    help: 'Delivery attempts that ended, by subscriber and outcome (succeeded, failed: will retry, dead)',
    labelNames: ['subscriber', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly deliverySeconds = new Histogram({
    name: 'switchyard_delivery_duration_seconds',
    help: "Duration of one delivery attempt (the subscriber's handler), by subscriber and outcome",
    labelNames: ['subscriber', 'outcome'] as const,
    buckets: DELIVERY_BUCKETS,
    registers: [this.registry],
  });

  private readonly prunedRows = new Counter({
    name: 'switchyard_retention_pruned_rows_total',
    help: 'Rows deleted by retention, by table (events, deliveries, delivery_attempts)',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  private readonly lastPruning = new Gauge({
    name: 'switchyard_retention_last_run_timestamp_seconds',
    help: 'When the last retention run of this process ended (unix seconds; absent before the first)',
    registers: [this.registry],
  });

  /** The read under way: concurrent scrapes share it, so a flood of scrapes cannot flood the store. */
  private backlogRead?: Promise<Map<string, { size: number; oldestSeconds: number }>>;

  constructor(
    private readonly engine: DeliveryEngine,
    private readonly deliveries: DeliveryReadsRepository,
    private readonly queue: DeliveryQueue,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const backlog = () => this.backlog();
    const inProcess = () => this.queue.backlog();
    new Gauge({
      name: 'switchyard_delivery_backlog',
      help: 'Unfinished deliveries in the store (pending, running, or failed and waiting for a retry), by subscriber',
      labelNames: ['subscriber'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [subscriber, { size }] of await backlog()) this.set({ subscriber }, size);
      },
    });
    new Gauge({
      name: 'switchyard_delivery_oldest_unfinished_age_seconds',
      help: 'Age of the oldest unfinished delivery, by subscriber (0 when there is none)',
      labelNames: ['subscriber'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [subscriber, { oldestSeconds }] of await backlog())
          this.set({ subscriber }, oldestSeconds);
      },
    });
    new Gauge({
      name: 'switchyard_delivery_in_process',
      help: "Deliveries waiting or running in this process's memory, by subscriber",
      labelNames: ['subscriber'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const [subscriber, { waiting, running }] of Object.entries(await inProcess()))
          this.set({ subscriber }, waiting + running);
      },
    });
  }

  @OnEvent(WEBHOOK_SIGNALS.answered)
  onWebhookAnswered(signal: WebhookAnsweredSignal): void {
    const source = signal.source ?? UNKNOWN_SOURCE;
    const outcome =
      signal.status >= 200 && signal.status < 300 ? (signal.duplicate ? 'duplicate' : 'stored') : 'rejected';
    this.webhookRequests.inc({ source, type: signal.type ?? '', outcome, status: signal.status });
    this.webhookSeconds.observe({ source, outcome }, signal.seconds);
    if (signal.failure) {
      this.verificationFailures.inc({
        source,
        reason: signal.failure.reason,
        cause: signal.failure.cause,
      });
    }
  }

  @OnEvent(STORE_SIGNALS.committed)
  onCommitted(signal: StoreCommittedSignal): void {
    const outcome = signal.ok ? 'committed' : 'failed';
    this.commitSeconds.observe({ outcome }, signal.seconds);
    this.commitStatements.inc({ outcome }, signal.statements);
  }

  @OnEvent(STORE_SIGNALS.pruned)
  onPruned(run: RetentionRun): void {
    this.prunedRows.inc({ table: 'events' }, run.events);
    this.prunedRows.inc({ table: 'deliveries' }, run.deliveries);
    this.prunedRows.inc({ table: 'delivery_attempts' }, run.attempts);
    this.lastPruning.set(Date.parse(run.finishedAt) / 1000);
  }

  @OnEvent(BUS_SIGNALS.delivered)
  onDelivered(signal: DeliverySignal): void {
    this.attempt(signal, 'succeeded');
  }

  @OnEvent(BUS_SIGNALS.failed)
  onFailed(signal: DeliverySignal): void {
    this.attempt(signal, 'failed');
  }

  @OnEvent(BUS_SIGNALS.deadLettered)
  onDead(signal: DeliverySignal): void {
    this.attempt(signal, 'dead');
  }

  /** The Prometheus text exposition. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private attempt(signal: DeliverySignal, outcome: string): void {
    const subscriber = signal.subscriberId;
    this.deliveryAttempts.inc({ subscriber, outcome });
    if (signal.seconds !== undefined) this.deliverySeconds.observe({ subscriber, outcome }, signal.seconds);
  }

  /** Per subscriber, from the store; one read serves both gauges of a scrape. */
  private backlog(): Promise<Map<string, { size: number; oldestSeconds: number }>> {
    this.backlogRead ??= this.readBacklog()
      .catch((error: Error) => {
        this.logger.warn(`could not read the delivery backlog: ${error.message}`);
        return new Map();
      })
      .finally(() => setImmediate(() => (this.backlogRead = undefined)));
    return this.backlogRead;
  }

  private async readBacklog(): Promise<Map<string, { size: number; oldestSeconds: number }>> {
    const out = new Map<string, { size: number; oldestSeconds: number }>();
    const now = Date.now();
    for (const { id } of this.engine.routeTable?.subscribers() ?? []) {
      const backlog = await this.deliveries.backlog(id);
      out.set(id, {
        size: backlog.pending + backlog.running + backlog.failed,
        oldestSeconds: backlog.oldestId
          ? Math.max(0, (now - timeOfId(backlog.oldestId).getTime()) / 1000)
          : 0,
      });
    }
    return out;
  }
}
