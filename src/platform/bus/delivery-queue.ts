import type { DeliveriesTable } from '../store/database.js';

/** A committed delivery as a queue needs it: its store row (the store is the record). */
export type QueuedDelivery = Pick<
  DeliveriesTable,
  | 'id'
  | 'event_id'
  | 'subscriber_id'
  | 'status'
  | 'attempts'
  | 'throttles'
  | 'order_key'
  | 'next_attempt_at'
  | 'last_error'
>;

/** Deliveries of one subscriber that the queue holds: waiting for their turn or time, and running. */
export interface SubscriberBacklog {
  waiting: number;
  running: number;
}

/**
 * What moves deliveries to the runner (Nest injection token; bind an adapter with
 * `{ provide: DeliveryQueue, useExisting: ... }`). The store is the record of every delivery's
 * state; a queue only carries the work. Adapters: in-process (lanes in this process's memory,
 * the default) and BullMQ (REDIS_URL).
 */
export abstract class DeliveryQueue {
  /**
   * Deliveries whose rows are committed (new ones, or reset to pending by a repair): run each
   * when it is due (`next_attempt_at`, or now). Idempotent by delivery id: dispatching one that
   * the queue holds already does not run it twice (a pending copy waiting for a retry or held
   * dead runs now). Resolves once the queue has taken them (not when they ran).
   * `fresh`: the router made them just now and none has run, so their first attempt may run
   * without waiting for its running mark to commit (crash-loop counting then starts at the
   * next start); recovered and repaired deliveries are never fresh.
   */
  abstract dispatch(rows: readonly QueuedDelivery[], options?: { fresh?: boolean }): Promise<void>;

  /** Deliveries the queue holds, per subscriber id (every known subscriber is listed). */
  abstract backlog(): Promise<Record<string, SubscriberBacklog>>;

  /** null while the queue works; otherwise why it does not (for readiness). */
  abstract problem(): string | null;

  /**
   * Deliveries this process holds in its memory waiting to run (for their turn or for their
   * retry): what a backlog costs this process's heap. 0 for a queue that keeps its work
   * elsewhere.
   */
  abstract waitingInMemory(): number;
}
