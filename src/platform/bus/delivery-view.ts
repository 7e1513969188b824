import type {
  DeliveriesTable,
  DeliveryAttemptsTable,
  DeliveryStatus,
  AttemptOutcome,
} from '../store/database.js';

/** One attempt as the admin API shows it; `attempt` keeps counting across retries. */
export interface AttemptView {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number | null;
  outcome: AttemptOutcome;
  error: string | null;
}

/** The admin API shows this many attempts of a delivery at most: the last ones. */
export const HISTORY_LIMIT = 50;

/** A delivery as the admin API shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  subscriberId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Attempts the target throttled (RetryLater, 429, 503 with Retry-After). */
  throttles: number;
  /** Its attempts, oldest first (the last HISTORY_LIMIT), kept across retries. */
  history?: AttemptView[];
  /** A pending delivery of an ordered key waits for the oldest unfinished one of that key. */
  waitingFor?: string;
  /** Why it does not run yet, in words: `waiting for <delivery id>`. */
  reason?: string;
}

export const toView = (row: DeliveriesTable): DeliveryView => ({
  id: row.id,
  eventId: row.event_id,
  subscriberId: row.subscriber_id,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastError: row.last_error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
  throttles: row.throttles,
});

export const toAttemptView = (row: DeliveryAttemptsTable): AttemptView => ({
  attempt: Number(row.attempt),
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  outcome: row.outcome,
  error: row.error,
});
