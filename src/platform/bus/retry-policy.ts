import { PermanentFailure, RetryLater } from './delivery-errors.js';

export interface RetrySettings {
  /** Failed attempts (throttles aside) before a delivery is dead. */
  maxAttempts: number;
  /** Throttled attempts that do not count against maxAttempts; past them, they do. */
  maxThrottledAttempts: number;
  backoff: { initialMs: number; maxMs: number; jitter: boolean };
}

/** A delivery's attempts so far: every run, and how many of the earlier ones were throttled. */
export interface AttemptHistory {
  /** Runs so far, this one included. */
  attempts: number;
  /** Runs before this one that ended throttled. */
  throttles: number;
}

export type Verdict =
  | { status: 'dead'; error: string; throttled: false }
  | { status: 'failed'; error: string; delayMs: number; throttled: boolean };

const ERROR_TEXT_LIMIT = 2000;

/**
 * What happens after a run that did not succeed. A thrown error is retried with exponential
 * backoff until maxAttempts; PermanentFailure is dead at once. `RetryLater(ms)` is throttling:
 * it waits at least that long and at least the backoff floor (so `Retry-After: 0` or a past
 * date cannot burn attempts in milliseconds), with jitter on top (so a herd throttled together
 * does not come back together), and does not count against maxAttempts until
 * maxThrottledAttempts throttles. A RetryLater whose delay is not a finite number ≥ 0 is an
 * ordinary failure of that delivery.
 */
export function afterFailure(
  error: unknown,
  history: AttemptHistory,
  settings: RetrySettings,
  random: () => number = Math.random,
): Verdict {
  let text = describe(error);
  if (error instanceof PermanentFailure) return { status: 'dead', error: text, throttled: false };
  const failures = history.attempts - Math.min(history.throttles, settings.maxThrottledAttempts);
  const { maxMs } = settings.backoff;

  if (error instanceof RetryLater) {
    if (validDelay(error.delayMs)) {
      const asked = Math.min(error.delayMs, maxMs);
      if (history.throttles < settings.maxThrottledAttempts) {
        const floor = backoffDelay(history.throttles + 1, { ...settings.backoff, jitter: false });
        return {
          status: 'failed',
          error: text,
          delayMs: spread(Math.max(asked, floor), settings, random),
          throttled: true,
        };
      }
      if (failures >= settings.maxAttempts) return { status: 'dead', error: text, throttled: false };
      const floor = backoffDelay(failures, { ...settings.backoff, jitter: false });
      return {
        status: 'failed',
        error: text,
        delayMs: spread(Math.max(asked, floor), settings, random),
        throttled: false,
      };
    }
    text = truncate(`RetryLater with an invalid delay (${String(error.delayMs)} ms): ${error.message}`);
  }
  if (failures >= settings.maxAttempts) return { status: 'dead', error: text, throttled: false };
  return {
    status: 'failed',
    error: text,
    delayMs: backoffDelay(failures, settings.backoff, random),
    throttled: false,
  };
}

/** initialMs × 2^(n−1), at most maxMs; with jitter somewhere in its upper half. */
export function backoffDelay(
  n: number,
  backoff: RetrySettings['backoff'],
  random: () => number = Math.random,
): number {
  const { initialMs, maxMs, jitter } = backoff;
  const delay = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(n, 1) - 1, 40));
  return jitter ? Math.round(delay / 2 + (random() * delay) / 2) : delay;
}

const validDelay = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;

/** Up to half again on top, never below what was asked, never past maxMs. */
function spread(delay: number, settings: RetrySettings, random: () => number): number {
  if (!settings.backoff.jitter) return delay;
  return Math.round(Math.min(settings.backoff.maxMs, delay + (random() * delay) / 2));
}

/** An error as one line of text for logs and `lastError`, bounded. */
export function describe(error: unknown): string {
  const text =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error);
  return truncate(text);
}

const truncate = (text: string): string =>
  text.length > ERROR_TEXT_LIMIT ? `${text.slice(0, ERROR_TEXT_LIMIT)}…` : text;
