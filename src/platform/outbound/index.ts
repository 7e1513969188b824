/** The one way integrations call outside HTTP APIs: timeouts, 429, errors, redaction. */
export { PermanentFailure, RetryLater } from '../bus/delivery-errors.js';
export {
  errorText,
  OutboundClient,
  RETRY_AFTER_FLOOR_MS,
  type OutboundClientOptions,
  type OutboundRequest,
  type OutboundResponse,
} from './outbound.client.js';
export { retryAfterMs } from './retry-after.js';
export { shownUrl } from './shown-url.js';
export { standardWebhooksDigest, standardWebhooksHeaders, standardWebhooksKey } from './standard-webhooks.js';
