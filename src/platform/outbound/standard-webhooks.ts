import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (Svix-compatible) signing, written once for the relay that sends such
 * requests and the `standard-webhooks` scheme that verifies them.
 */

/** The HMAC key of a `whsec_<base64>` secret (a bare base64 secret is accepted too). */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** HMAC-SHA256 of `<id>.<timestamp>.<body>`: the bytes a `v1,` signature encodes in base64. */
export function standardWebhooksDigest(
  key: Buffer,
  id: string,
  timestamp: number | string,
  body: Buffer | string,
): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The three headers of a signed request: `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
export function standardWebhooksHeaders(
  key: Buffer,
  id: string,
  timestamp: number,
  body: Buffer | string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${standardWebhooksDigest(key, id, timestamp, body).toString('base64')}`,
  };
}
