import type { VerificationFailure } from './verification-diagnostics.service.js';

/**
 * What the ingest edge announces on `@nestjs/event-emitter` (metrics listen). Emitted once per
 * answered request, after the answer is written, so it never delays Whippy.
 */
export const WEBHOOK_SIGNALS = {
  answered: 'switchyard.webhook.answered',
} as const;

/** One `POST /webhooks/:source` and its answer. */
export interface WebhookAnsweredSignal {
  /** The configured source, or undefined for an unknown one (so labels stay bounded). */
  source: string | undefined;
  status: number;
  /** From the first middleware to the last byte of the answer. */
  seconds: number;
  /** The envelope's `event`, once the body was verified and read. */
  type?: string;
  /** The stored event's id, once committed (a duplicate's is the first copy's). */
  id?: string;
  /** Set when the event was committed: false for a new event, true for a duplicate. */
  duplicate?: boolean;
  /** Set on a 401: what the diagnostics kept. */
  failure?: VerificationFailure;
}
