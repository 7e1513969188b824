import { AsyncResource } from 'node:async_hooks';
import {
  BadRequestException,
  BeforeApplicationShutdown,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { AppConfig, DeliveryConfig } from '../../config/app-config.js';
import type { DeliveriesTable } from '../inbox/database.js';
import { eventTypeMatches, parseWhippyEvent } from '../events/index.js';
import type { Statement } from '../inbox/statement-runner.js';
import { PermanentFailure, RetryLater } from './delivery-errors.js';
import { DeliveryLane, Job } from './delivery-lane.js';
import { DeliveryRepository, DeliveryView, toView } from './delivery.repository.js';
import { BUS_SIGNALS, EventReceivedSignal } from './bus-signals.js';
import { RouteTable } from './route-table.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';
import type { DeliveryContext, RawEvent, SubscriberDefinition } from './subscriber.js';

/** A stored event on its way to classification. */
interface Incoming {
  id: string;
  source: string;
  requestId: string;
  type: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

interface CachedEvent {
  event: unknown;
  raw: RawEvent;
}

class DeliveryTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'DeliveryTimeout';
  }
}

const ERROR_TEXT_LIMIT = 2000;
const PAGE = 500;

/**
 * Turns stored events into deliveries, one per (event, subscriber), and runs them: bounded
 * concurrency per subscriber, retries with backoff, dead letters, per-key ordering, timeouts.
 * Every state change is written through the StoreWriter; after a crash, whatever was pending,
 * failed or running is picked up again (at least once).
 */
@Injectable()
export class DeliveryEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Delivery');
  private readonly settings: DeliveryConfig;
  private readonly lanes = new Map<string, DeliveryLane>();
  private readonly loggers = new Map<string, Logger>();
  /** Parsed events that unfinished deliveries in memory still need, and how many need each. */
  private readonly cache = new Map<string, CachedEvent>();
  private readonly unfinished = new Map<string, number>();
  private readonly stopping = new AbortController();
  private routes!: RouteTable;
  private ready = false;

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly repository: DeliveryRepository,
    private readonly emitter: EventEmitter2,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('delivery', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    const subscribers = this.registry.all();
    this.routes = new RouteTable(
      subscribers,
      this.config.get('subscribers', { infer: true }),
      this.config.get('env', { infer: true }),
    );
    for (const subscriber of subscribers.values()) {
      this.lanes.set(
        subscriber.id,
        new DeliveryLane(this.settings.concurrency, (job) => this.run(subscriber, job)),
      );
      this.loggers.set(subscriber.id, new Logger(`subscriber ${subscriber.id}`));
    }
    this.logRoutes();
    await this.recover();
    this.ready = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.ready = false;
    this.stopping.abort(new Error('the service is stopping'));
    for (const lane of this.lanes.values()) lane.stop();
    const deadline = Date.now() + 5000;
    while ([...this.lanes.values()].some((lane) => lane.active > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  get routeTable(): RouteTable {
    return this.routes;
  }

  /** Deliveries waiting or running in this process, per subscriber. */
  backlog(): Record<string, number> {
    return Object.fromEntries([...this.lanes].map(([id, lane]) => [id, lane.size]));
  }

  @OnEvent(BUS_SIGNALS.eventReceived)
  onEventReceived(signal: EventReceivedSignal): void {
    if (!this.ready || signal.status !== 'received') return;
    this.detached(() => void this.commit(this.classify(signal)).catch(() => undefined));
  }

  /**
   * Runs outside the webhook request's async context (bound at start), so deliveries neither
   * log as part of that request nor keep its context alive.
   */
  private readonly detached = AsyncResource.bind((work: () => void) => work());

  /** Parses and routes one event: the statements that record the outcome, and its jobs queued. */
  private classify(
    incoming: Incoming,
    only?: SubscriberDefinition[],
  ): { statements: Statement[]; jobs: Job[] } {
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status === 'unknown')
      return { statements: [this.repository.eventStatus(incoming.id, 'unknown')], jobs: [] };
    if (parsed.status === 'invalid') {
      this.logger.warn(`event ${incoming.id} (${incoming.type}) is invalid: ${parsed.errors.join('; ')}`);
      return { statements: [this.repository.eventStatus(incoming.id, 'invalid', parsed.errors)], jobs: [] };
    }
    const raw: RawEvent = { type: incoming.type, source: incoming.source, data: incoming.data };
    const subscribers = only ?? this.routes.match(raw);
    if (subscribers.length === 0)
      return { statements: [this.repository.eventStatus(incoming.id, 'unrouted')], jobs: [] };

    const now = new Date();
    const statements: Statement[] = [];
    const jobs: Job[] = [];
    for (const subscriber of subscribers) {
      const job: Job = {
        id: this.repository.nextId(),
        eventId: incoming.id,
        subscriberId: subscriber.id,
        attempts: 0,
        orderKey: this.orderKey(subscriber, parsed.event, raw),
        dueAt: now.getTime(),
        lastError: null,
      };
      jobs.push(job);
      statements.push(
        this.repository.insert({
          id: job.id,
          event_id: job.eventId,
          subscriber_id: job.subscriberId,
          status: 'pending',
          attempts: 0,
          next_attempt_at: null,
          order_key: job.orderKey,
          last_error: null,
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
          finished_at: null,
        }),
      );
    }
    statements.push(this.repository.eventStatus(incoming.id, 'routed'));
    this.cache.set(incoming.id, { event: parsed.event, raw });
    return { statements, jobs };
  }

  /** Writes the outcome and starts the jobs; the jobs' own updates queue behind the insert. */
  private commit({ statements, jobs }: { statements: Statement[]; jobs: Job[] }): Promise<unknown> {
    const written = this.repository.write(statements);
    for (const job of jobs) this.enqueue(job);
    return written;
  }

  /** The one way a job enters a lane: the event it needs stays cached until its jobs finish. */
  private enqueue(job: Job): void {
    this.unfinished.set(job.eventId, (this.unfinished.get(job.eventId) ?? 0) + 1);
    this.lanes.get(job.subscriberId)!.add(job);
  }

  private orderKey(subscriber: SubscriberDefinition, event: unknown, raw: RawEvent): string | null {
    if (!subscriber.orderBy) return null;
    try {
      const key = subscriber.orderBy(event, raw);
      return key === undefined || key === null || key === '' ? null : String(key);
    } catch (error) {
      this.logger.warn(
        `orderBy of ${subscriber.id} threw (${(error as Error).message}); delivering unordered`,
      );
      return null;
    }
  }

  private release(eventId: string): void {
    const left = (this.unfinished.get(eventId) ?? 1) - 1;
    if (left > 0) return void this.unfinished.set(eventId, left);
    this.unfinished.delete(eventId);
    this.cache.delete(eventId);
  }

  private async run(subscriber: SubscriberDefinition, job: Job): Promise<void> {
    const lane = this.lanes.get(subscriber.id)!;
    if (this.stopping.signal.aborted) return;
    job.attempts += 1;
    const attempt = job.attempts;
    void this.repository
      .write([
        this.repository.update(job.id, {
          status: 'running',
          attempts: attempt,
          nextAttemptAt: null,
          lastError: job.lastError,
          finishedAt: null,
        }),
      ])
      .catch(() => undefined);
    const cached = this.cache.get(job.eventId) ?? (await this.load(job.eventId));
    if (!cached) return this.settle(lane, job, 'dead', 'the event is missing or no longer valid');

    const timeoutMs = subscriber.timeoutMs ?? this.settings.timeoutMs;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.stopping.signal]);
    const context: DeliveryContext = {
      eventId: job.eventId,
      subscriberId: subscriber.id,
      idempotencyKey: `${job.eventId}:${subscriber.id}`,
      attempt,
      logger: this.loggers.get(subscriber.id)!,
      signal,
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        subscriber.handle(cached.event, context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const error = new DeliveryTimeout(timeoutMs);
            controller.abort(error);
            reject(error);
          }, timeoutMs);
        }),
      ]);
      this.settle(lane, job, 'succeeded', null);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      const message = describe(error);
      if (error instanceof PermanentFailure) return this.settle(lane, job, 'dead', message);
      if (attempt >= this.settings.maxAttempts) return this.settle(lane, job, 'dead', message);
      // A Retry-After is honoured up to backoff.maxMs, so one answer cannot park a delivery for days.
      const delay =
        error instanceof RetryLater
          ? Math.min(error.delayMs, this.settings.backoff.maxMs)
          : this.backoff(attempt);
      this.settle(lane, job, 'failed', message, Date.now() + delay);
    } finally {
      clearTimeout(timer);
    }
  }

  private settle(
    lane: DeliveryLane,
    job: Job,
    status: 'succeeded' | 'failed' | 'dead',
    error: string | null,
    retryAt?: number,
  ): void {
    const finished = status !== 'failed';
    job.lastError = error;
    void this.repository
      .write([
        this.repository.update(job.id, {
          status,
          attempts: job.attempts,
          nextAttemptAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
          lastError: error,
          finishedAt: finished ? new Date().toISOString() : null,
        }),
      ])
      .catch(() => undefined);
    const signal = {
      deliveryId: job.id,
      eventId: job.eventId,
      eventType: this.cache.get(job.eventId)?.raw.type,
      subscriberId: job.subscriberId,
      attempt: job.attempts,
      error,
    };
    const log = this.loggers.get(job.subscriberId)!;
    if (status === 'succeeded') {
      this.emitter.emit(BUS_SIGNALS.delivered, signal);
    } else if (status === 'dead') {
      log.error(
        `delivery ${job.id} of event ${job.eventId} is dead after ${job.attempts} attempt(s): ${error}`,
      );
      this.emitter.emit(BUS_SIGNALS.deadLettered, signal);
    } else {
      log.warn(
        `delivery ${job.id} of event ${job.eventId} failed (attempt ${job.attempts}/${this.settings.maxAttempts}): ${error}; next in ${Math.round((retryAt! - Date.now()) / 1000)} s`,
      );
      this.emitter.emit(BUS_SIGNALS.failed, { ...signal, nextAttemptAt: new Date(retryAt!).toISOString() });
    }
    if (finished) {
      lane.finish(job);
      this.release(job.eventId);
    } else {
      lane.reschedule(job, retryAt!);
    }
  }

  /** initialMs × 2^(attempt−1), at most maxMs; with jitter somewhere in the upper half. */
  private backoff(attempt: number): number {
    const { initialMs, maxMs, jitter } = this.settings.backoff;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 40));
    return jitter ? Math.round(delay / 2 + (Math.random() * delay) / 2) : delay;
  }

  /** An event that is not in memory (after a restart): read it and parse it again. */
  private async load(eventId: string): Promise<CachedEvent | undefined> {
    const [row] = await this.repository.events({ ids: [eventId], limit: 1 });
    if (!row) return undefined;
    const incoming = toIncoming(row);
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status !== 'valid') return undefined;
    const cached = {
      event: parsed.event,
      raw: { type: incoming.type, source: incoming.source, data: incoming.data },
    };
    this.cache.set(eventId, cached);
    return cached;
  }

  /** After a start: unfinished deliveries run again; events left unclassified are classified. */
  private async recover(): Promise<void> {
    const unfinished = await this.repository.unfinished();
    let orphaned = 0;
    for (const row of unfinished) {
      const lane = this.lanes.get(row.subscriber_id);
      if (!lane) {
        orphaned++;
        continue;
      }
      this.enqueue(fromRow(row));
    }
    if (unfinished.length) this.logger.log(`resuming ${unfinished.length - orphaned} unfinished deliveries`);
    if (orphaned)
      this.logger.warn(
        `${orphaned} unfinished deliveries belong to subscribers that no longer exist; they wait`,
      );

    const active = Object.values(this.config.get('sources', { infer: true }))
      .filter((source) => source.mode === 'active')
      .map((source) => source.name);
    await this.classifyStored({ statuses: ['received'] });
    const released = active.length ? await this.classifyStored({ statuses: ['held'], sources: active }) : 0;
    if (released) this.logger.log(`released ${released} held event(s) of now active sources, in order`);
  }

  /** Classifies stored events page by page, in arrival order. */
  private async classifyStored(filter: { statuses: string[]; sources?: string[] }): Promise<number> {
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const rows = await this.repository.events({ ...filter, after, limit: PAGE });
      if (rows.length === 0) return count;
      for (const row of rows) {
        const incoming = toIncoming(row);
        await this.commit(
          incoming.data
            ? this.classify(incoming)
            : {
                statements: [this.repository.eventStatus(row.id, 'invalid', ['body is not a JSON envelope'])],
                jobs: [],
              },
        );
      }
      count += rows.length;
      after = rows[rows.length - 1].id;
    }
  }

  /** New deliveries of a stored event: to every subscriber its route selects, or to the named ones. */
  async replay(eventId: string, subscriberIds?: string[]): Promise<DeliveryView[]> {
    const [row] = await this.repository.events({ ids: [eventId], limit: 1 });
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no event ${eventId}` });
    const incoming = toIncoming(row);
    const only = subscriberIds?.map((id) => {
      const route = this.routes.route(id);
      if (!route)
        throw new BadRequestException({
          error: 'unknown_subscriber',
          message: `no subscriber ${id} (known: ${this.routes
            .subscribers()
            .map((s) => s.id)
            .join(', ')})`,
        });
      // What the code declares, not what this environment narrowed it to: the operator asked for it.
      if (!route.subscriber.events.some((pattern) => eventTypeMatches(pattern, row.type))) {
        throw new BadRequestException({
          error: 'not_subscribed',
          message: `${id} does not subscribe to ${row.type}`,
        });
      }
      return route.subscriber;
    });
    const outcome = this.classify(incoming, only);
    if (outcome.jobs.length === 0) {
      await this.repository.write(outcome.statements);
      const [event] = await this.repository.events({ ids: [eventId], limit: 1 });
      throw new ConflictException({
        error: 'not_delivered',
        message: `event ${eventId} is ${event.status}: nothing to deliver`,
        status: event.status,
      });
    }
    await this.commit(outcome);
    return outcome.jobs.map((job) => jobView(job, 'pending'));
  }

  /** Runs a failed or dead delivery again now, with a fresh attempt budget. */
  async retry(deliveryId: string): Promise<DeliveryView> {
    const row = await this.repository.get(deliveryId);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no delivery ${deliveryId}` });
    if (row.status !== 'dead' && row.status !== 'failed') {
      throw new ConflictException({
        error: 'not_retryable',
        message: `delivery ${deliveryId} is ${row.status}`,
      });
    }
    const lane = this.lanes.get(row.subscriber_id);
    if (!lane)
      throw new ConflictException({
        error: 'unknown_subscriber',
        message: `subscriber ${row.subscriber_id} no longer exists`,
      });
    if (!lane.runNow(row.id) && !lane.has(row.id)) {
      await this.repository.write([
        this.repository.update(row.id, {
          status: 'pending',
          attempts: 0,
          nextAttemptAt: null,
          lastError: row.last_error,
          finishedAt: null,
        }),
      ]);
      this.enqueue({ ...fromRow(row), attempts: 0, dueAt: Date.now() });
    }
    return { ...toView(row), status: 'pending' };
  }

  /** Every dead delivery of a subscriber, again. */
  async redrive(subscriberId: string): Promise<{ redriven: number }> {
    if (!this.lanes.has(subscriberId))
      throw new NotFoundException({ error: 'unknown_subscriber', message: `no subscriber ${subscriberId}` });
    let redriven = 0;
    let before: string | undefined;
    for (;;) {
      const rows = await this.repository.list({
        status: 'dead',
        subscriber: subscriberId,
        before,
        limit: PAGE,
      });
      for (const row of rows) {
        await this.retry(row.id);
        redriven++;
      }
      if (rows.length < PAGE) return { redriven };
      before = rows[rows.length - 1].id;
    }
  }

  /**
   * Delivers to one subscriber the stored events of a time range that its route selects and
   * that it has not had yet: how a new integration catches up. `dryRun` only counts.
   */
  async backfill(
    subscriberId: string,
    range: { since?: string; until?: string; dryRun: boolean },
  ): Promise<{ matched: number; created: number; dryRun: boolean }> {
    const route = this.routes.route(subscriberId);
    if (!route)
      throw new NotFoundException({ error: 'unknown_subscriber', message: `no subscriber ${subscriberId}` });
    let after: string | undefined;
    let matched = 0;
    for (;;) {
      const rows = await this.repository.events({
        statuses: ['routed', 'unrouted'],
        types: [...route.types],
        since: range.since,
        until: range.until,
        after,
        limit: PAGE,
      });
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const done = await this.repository.delivered(
        subscriberId,
        rows.map((row) => row.id),
      );
      for (const row of rows) {
        if (done.has(row.id)) continue;
        const incoming = toIncoming(row);
        if (
          !incoming.data ||
          route.filter?.({ type: incoming.type, source: incoming.source, data: incoming.data })
        )
          continue;
        matched++;
        if (!range.dryRun) await this.commit(this.classify(incoming, [route.subscriber]));
      }
    }
    return { matched, created: range.dryRun ? 0 : matched, dryRun: range.dryRun };
  }

  private logRoutes(): void {
    const table = this.routes.table();
    const lines = table.map(
      ({ type, subscribers }) =>
        `  ${type} → ${subscribers.map((s) => (s.filter ? `${s.id} (filter ${JSON.stringify(s.filter)})` : s.id)).join(', ')}`,
    );
    this.logger.log(
      lines.length
        ? `routing table:\n${lines.join('\n')}`
        : 'routing table: no subscribers; events are kept as unrouted',
    );
  }
}

function toIncoming(row: {
  id: string;
  source: string;
  request_id: string;
  type: string;
  raw_body: Buffer | Uint8Array;
  received_at: string;
}): Incoming {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(Buffer.from(row.raw_body).toString('utf8')).data;
  } catch {
    data = undefined as unknown as Record<string, unknown>;
  }
  return {
    id: row.id,
    source: row.source,
    requestId: row.request_id,
    type: row.type,
    receivedAt: row.received_at,
    data,
  };
}

function fromRow(row: DeliveriesTable): Job {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriberId: row.subscriber_id,
    attempts: row.attempts,
    orderKey: row.order_key,
    dueAt: row.status === 'failed' && row.next_attempt_at ? Date.parse(row.next_attempt_at) : Date.now(),
    lastError: row.last_error,
  };
}

function jobView(job: Job, status: string): DeliveryView {
  const now = new Date().toISOString();
  return {
    id: job.id,
    eventId: job.eventId,
    subscriberId: job.subscriberId,
    status,
    attempts: job.attempts,
    nextAttemptAt: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
  };
}

function describe(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error);
  return text.length > ERROR_TEXT_LIMIT ? `${text.slice(0, ERROR_TEXT_LIMIT)}…` : text;
}
