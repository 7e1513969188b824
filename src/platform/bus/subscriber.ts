import type { Logger } from '@nestjs/common';

/** What a handler knows about the delivery it is running. */
export interface DeliveryContext {
  /** The stored event's id. */
  eventId: string;
  subscriberId: string;
  /** `<event id>:<subscriber id>`: the same on every attempt, for the receiving side's dedupe. */
  idempotencyKey: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** A logger named after the subscriber. */
  logger: Logger;
  /** Aborted when the delivery runs past its timeout or the service stops. */
  signal: AbortSignal;
}

/** The event as Whippy sent it, for filters and keys written with Whippy's field names. */
export interface RawEvent {
  type: string;
  source: string;
  data: Record<string, unknown>;
}

/**
 * What an order key is read from: a field path as Whippy names it (`data.contact_id`), checked
 * at start to be a scalar field of every event type the subscriber takes, or a function of the
 * typed event. A null, undefined or empty key means unordered.
 */
export type OrderKeySource<E = unknown> = string | ((event: E, raw: RawEvent) => unknown);

/** `orderBy` with its options. */
export interface OrderByOptions<E = unknown> {
  key: OrderKeySource<E>;
  /**
   * When the oldest delivery of a key is dead: `continue` lets the next ones of the key run
   * (they overtake it); `hold` keeps them waiting until the dead one is retried or redriven.
   * @default 'continue'
   */
  onDead?: 'continue' | 'hold';
}

/** Options of `@OnWhippyEvent(...)` and of a subscriber registered in code. */
export interface SubscriberOptions<E = unknown> {
  /** Stable id that routes and stored deliveries name. @default '<ClassName>.<method>' */
  id?: string;
  /**
   * Deliveries with the same key, for this subscriber, run one at a time in the order the
   * events were received. A key that is null, undefined or '' is unordered; a function that
   * returns an object or array (or throws) delivers that event unordered, with a warning.
   */
  orderBy?: OrderKeySource<E> | OrderByOptions<E>;
  /** A run longer than this is aborted and retried. @default delivery.timeoutMs (30000) */
  timeoutMs?: number;
}

/** A subscriber registered in code (e.g. one per configured relay target). */
export interface SubscriberDefinition<E = unknown> extends SubscriberOptions<E> {
  id: string;
  /** Event types or patterns (`'message.*'`, `'*'`). */
  events: string[];
  handle(event: E, context: DeliveryContext): Promise<void>;
  /** Where it comes from, for the routing table. */
  origin?: string;
  /**
   * Why it cannot run in this process (`HUBSPOT_TOKEN is not set`): it is listed as disabled
   * with this reason, and a route that enables it stops the start. Set through
   * `SubscriberRegistry.requireSettings`.
   */
  unavailable?: string;
}
