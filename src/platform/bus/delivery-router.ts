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
import { Inbox } from '../inbox/inbox.service.js';
import { BUS_SIGNALS, type EventReceivedSignal } from './bus-signals.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { Incoming } from './delivery-rows.js';
import { EventCache, type ParsedEvent } from './event-cache.js';
import { IngestClassifier } from './ingest-classifier.js';
import { Ordering, orderingOf } from './ordering.js';
import { persist } from './persist.js';
import { describe } from './retry-policy.js';
import { RouteTable } from './route-table.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';
import type { RawEvent, SubscriberDefinition } from './subscriber.js';

/** An event's classification: its status, and the deliveries it makes (routed only). */
export interface Routed {
  status: 'routed' | 'unrouted' | 'unknown' | 'invalid';
  errors?: string[];
  rows: DeliveriesTable[];
  parsed?: ParsedEvent;
}

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
  private release?: () => void;
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
    private readonly inbox: Inbox,
  ) {}

  /**
   * Starts routing new events at ingest, in the commit that stores them (every module has
   * registered its subscribers), and logs the table.
   */
  start(): void {
    this.logger.log(this.routeTable.summary());
    this.release = this.inbox.useClassifier(new IngestClassifier(this, this.deliveries, this.events));
  }

  /** From now on new events are stored `received`; the next start's recovery classifies them. */
  stop(): void {
    this.release?.();
    this.release = undefined;
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

  /**
   * A new event stored unclassified while the router accepts: its classification at ingest
   * threw or was refused by the store (the event was stored without it). Classified here and
   * committed on its own, retrying until the store takes it.
   */
  @OnEvent(BUS_SIGNALS.eventReceived)
  onEventReceived(signal: EventReceivedSignal): void {
    if (!this.release || signal.status !== 'received') return;
    this.detached(() => {
      try {
        void this.commit(this.classify(signal));
      } catch (error) {
        this.logger.error(
          `classifying event ${signal.id} failed; it waits for the next start: ${describe(error)}`,
        );
      }
    });
  }

  /**
   * Runs outside the webhook request's async context (bound at start), so deliveries neither
   * log as part of that request nor keep its context alive.
   */
  private readonly detached = AsyncResource.bind((work: () => void) => work());

  /**
   * Parses and routes one event: its status (with an invalid event's errors), the deliveries
   * it makes and the parsed event. `only` names the subscribers (a replay or backfill);
   * `dedupe: false` makes a replay's delivery even where the event has one for that subscriber.
   */
  route(incoming: Incoming, only?: SubscriberDefinition[], dedupe = true): Routed {
    if (!incoming.data) return { status: 'invalid', errors: ['body is not a JSON envelope'], rows: [] };
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status === 'unknown') return { status: 'unknown', rows: [] };
    if (parsed.status === 'invalid') {
      this.logger.warn(`event ${incoming.id} (${incoming.type}) is invalid: ${parsed.errors.join('; ')}`);
      return { status: 'invalid', errors: parsed.errors, rows: [] };
    }
    const raw: RawEvent = { type: incoming.type, source: incoming.source, data: incoming.data };
    const subscribers = only ?? this.routeTable.match(raw);
    if (subscribers.length === 0) return { status: 'unrouted', rows: [] };

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
    return { status: 'routed', rows, parsed: { event: parsed.event, raw } };
  }

  /**
   * A stored event's classification (recovery, replay, backfill): the statements that record
   * the outcome, and its deliveries. New events are classified at ingest (IngestClassifier).
   */
  classify(incoming: Incoming, only?: SubscriberDefinition[], dedupe = true): Classified {
    const { status, errors, rows, parsed } = this.route(incoming, only, dedupe);
    const statements = rows.map((row) => this.deliveries.insert(row));
    statements.push(this.stored.status(incoming.id, status, errors));
    if (parsed) this.events.put(incoming.id, parsed);
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
    return this.dispatchFresh(async () => {
      if (!(await written) || !results) return [];
      return rows.filter((_, i) => (results![i] ?? []).length > 0);
    });
  }

  /**
   * Hands committed new deliveries to the queue, after those of every event classified
   * before (so ordered subscribers see their events in order). Resolves with the rows.
   */
  dispatchFresh(inserted: () => Promise<DeliveriesTable[]> | DeliveriesTable[]): Promise<DeliveriesTable[]> {
    const made = this.joining.then(async () => {
      const rows = await inserted();
      if (rows.length) await this.queue.dispatch(rows, { fresh: true });
      return rows;
    });
    // One failed hand-over must not stop the ones after it.
    this.joining = made.catch(() => undefined);
    return made;
  }
}
