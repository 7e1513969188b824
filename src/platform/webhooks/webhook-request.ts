import type { Request } from 'express';
import type { Verified } from './schemes/index.js';
import type { Source } from './sources.service.js';
import type { VerificationFailure } from './verification-diagnostics.service.js';

/** A webhook request as it moves from the raw-body middleware through the guard. */
export interface WebhookRequest extends Request {
  /** The exact bytes received; set on the webhook route only. */
  rawBody?: Buffer;
  source?: Source;
  verification?: Verified;
  /** What the answer was about, for the answered signal (metrics). */
  outcome?: { type?: string; id?: string; duplicate?: boolean; failure?: VerificationFailure };
}
