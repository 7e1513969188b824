import { AsyncResource } from 'node:async_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import type { AppConfig } from '../../config/app-config.js';
import type { DeliveriesTable } from '../store/database.js';
import { parseWhippyEvent } from '../events/index.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { EventsRepository } from '../store/events.repository.js';
import type { Statement } from '../store/statement-runner.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { BUS_SIGNALS, EventReceivedSignal } from './bus-signals.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { Incoming } from './delivery-rows.js';
import { EventCache } from './event-cache.js';
import { Ordering, orderingOf } from './ordering.js';
import { persist } from './persist.js';
import { describe } from './retry-policy.js';
import { RouteTable } from './route-table.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';
import type { RawEvent, SubscriberDefinition } from './subscriber.js';

/** What classifying an event writes, and the delivery rows it makes (one insert each, in order). */
export interface Classified {
  statements: Statement[];
  rows: DeliveriesTable[];
}

/**
 * Stored event → typed event (catalog) → routes → delivery rows. classify() is pure apart from
 * the parse cache: it gives the statements; commit() writes them (retrying until the store
 * takes them) and hands the deliveries it made to the DeliveryQueue.
 */
@Injectable()
export class DeliveryRouter {
  private readonly logger = new Logger('Delivery');
  private routes?: RouteTable;
  private readonly orderings = new Map<string, Ordering>();
  private readonly stopping = new AbortController();
  private accepting = false;
  /** Deliveries reach the queue in the order their events were classified. */
  private joining: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly deliveries: DeliveriesRepository,
    private readonly stored: EventsRepository,
    private readonly writer: StoreWriter,
    private readonly queue: DeliveryQueue,
    private readonly events: EventCache,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  /** Starts routing new events (every module has registered its subscribers) and logs the table. */
  start(): void {
    this.logger.log(this.routeTable.summary());
    this.accepting = true;
  }

  stop(): void {
    this.accepting = false;
    this.stopping.abort(new Error('the service is stopping'));
  }

  /** Built at first use, once discovery has run (after every module is initialised). */
  get routeTable(): RouteTable {
    if (this.routes) return this.routes;
    const subscribers = this.registry.all();
    for (const subscriber of subscribers.values()) {
      const ordering = orderingOf(subscriber);
      if (ordering) this.orderings.set(subscriber.id, ordering);
    }
    return (this.routes = new RouteTable(
      subscribers,
      this.config.get('subscribers', { infer: true }),
      this.config.get('env', { infer: true }),
    ));
  }

  /** A subscriber's `orderBy`, when it has one. */
  ordering(subscriberId: string): Ordering | undefined {
    void this.routeTable;
    return this.orderings.get(subscriberId);
  }

  /** Whether a subscriber of this id exists. */
  knows(subscriberId: string): boolean {
    return this.registry.all().has(subscriberId);
  }

  @OnEvent(BUS_SIGNALS.eventReceived)
  onEventReceived(signal: EventReceivedSignal): void {
    if (!this.accepting || signal.status !== 'received') return;
    this.detached(() => void this.commit(this.classify(signal)));
  }

  /**
   * Runs outside the webhook request's async context (bound at start), so deliveries neither
   * log as part of that request nor keep its context alive.
   */
  private readonly detached = AsyncResource.bind((work: () => void) => work());

  /**
   * Parses and routes one event: the statements that record the outcome, and its deliveries.
   * `only` names the subscribers (a replay or backfill); `dedupe: false` makes a replay's
   * delivery even where the event has one for that subscriber already.
   */
  classify(incoming: Incoming, only?: SubscriberDefinition[], dedupe = true): Classified {
    if (!incoming.data)
      return {
        statements: [this.stored.status(incoming.id, 'invalid', ['body is not a JSON envelope'])],
        rows: [],
      };
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status === 'unknown')
      return { statements: [this.stored.status(incoming.id, 'unknown')], rows: [] };
    if (parsed.status === 'invalid') {
      this.logger.warn(`event ${incoming.id} (${incoming.type}) is invalid: ${parsed.errors.join('; ')}`);
      return { statements: [this.stored.status(incoming.id, 'invalid', parsed.errors)], rows: [] };
    }
    const raw: RawEvent = { type: incoming.type, source: incoming.source, data: incoming.data };
    const subscribers = only ?? this.routeTable.match(raw);
    if (subscribers.length === 0)
      return { statements: [this.stored.status(incoming.id, 'unrouted')], rows: [] };

    const now = new Date().toISOString();
    const rows = subscribers.map((subscriber): DeliveriesTable => ({
      id: this.deliveries.nextId(),
      event_id: incoming.id,
      subscriber_id: subscriber.id,
      status: 'pending',
      attempts: 0,
      next_attempt_at: null,
      order_key: this.ordering(subscriber.id)?.keyOf(parsed.event, raw, this.logger) ?? null,
      last_error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
      throttles: 0,
      interruptions: 0,
      dedupe_key: dedupe ? `${incoming.id}:${subscriber.id}` : null,
    }));
    const statements = rows.map((row) => this.deliveries.insert(row));
    statements.push(this.stored.status(incoming.id, 'routed'));
    this.events.put(incoming.id, { event: parsed.event, raw });
    return { statements, rows };
  }

  /**
   * Commits a classification (retrying until the store takes it) and dispatches the
   * deliveries it made. Resolves with those made now: a delivery that exists already (same
   * event and subscriber) is not made twice.
   */
  commit({ statements, rows }: Classified): Promise<DeliveriesTable[]> {
    let results: unknown[][] | undefined;
    const written = persist(
      async () => {
        results = await this.writer.write(statements);
      },
      {
        signal: this.stopping.signal,
        onError: (error, tries) => {
          // The first failure and then every tenth: a long outage must not flood the log.
          if (tries === 1 || tries % 10 === 0)
            this.logger.warn(
              `recording the outcome of classification failed (${tries} tries so far; trying again): ${describe(error)}`,
            );
        },
      },
    );
    const made = (this.joining = this.joining.then(async () => {
      if (!(await written) || !results) return [];
      const inserted = rows.filter((_, i) => (results![i] ?? []).length > 0);
      if (inserted.length) await this.queue.dispatch(inserted, { fresh: true });
      return inserted;
    }));
    return made as Promise<DeliveriesTable[]>;
  }
}
