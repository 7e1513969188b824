import type { Request } from 'express';
import type { Verified } from './schemes/index.js';
import type { Source } from './sources.service.js';

/** A webhook request as it moves from the raw-body middleware through the guard. */
export interface WebhookRequest extends Request {
  /** The exact bytes received; set on the webhook route only. */
  rawBody?: Buffer;
  source?: Source;
  verification?: Verified;
}
