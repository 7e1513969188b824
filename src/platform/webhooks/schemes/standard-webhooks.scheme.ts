import type { IncomingHttpHeaders } from 'node:http';
import {
  standardWebhooksDigest,
  standardWebhooksHeaders,
  standardWebhooksKey,
} from '../../outbound/standard-webhooks.js';
import {
  conclude,
  decodeBase64,
  header,
  matchKey,
  parseTimestamp,
  rejectHeader,
  unitNote,
  SignatureScheme,
  SignRequest,
  Verification,
} from './signature-scheme.js';

/**
 * Standard Webhooks (Svix-compatible): `webhook-id`, `webhook-timestamp`, `webhook-signature`
 * (`v1,<base64>` entries separated by spaces); `svix-` names accepted too. Signs
 * `<id>.<timestamp>.<body>` with the base64-decoded `whsec_` key.
 */
export class StandardWebhooksScheme implements SignatureScheme {
  readonly name = 'standard-webhooks' as const;
  readonly headers = [
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'svix-id',
    'svix-timestamp',
    'svix-signature',
  ];

  keyBytes(key: string): Buffer {
    return standardWebhooksKey(key);
  }

  verify(
    headers: IncomingHttpHeaders,
    body: Buffer,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): Verification {
    const id = header(headers, 'webhook-id', 'svix-id');
    const timestampText = header(headers, 'webhook-timestamp', 'svix-timestamp');
    const signatureText = header(headers, 'webhook-signature', 'svix-signature');
    if (id === undefined || timestampText === undefined || signatureText === undefined) {
      return rejectHeader(
        this.name,
        'missing_header',
        'needs webhook-id, webhook-timestamp and webhook-signature',
      );
    }
    const timestamp = parseTimestamp(timestampText);
    const signatures = signatureText
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => decodeBase64(entry.slice(3)))
      .filter((bytes): bytes is Buffer => bytes !== undefined);
    if (timestamp === undefined || signatures.length === 0) {
      return rejectHeader(
        this.name,
        'malformed_header',
        `webhook-timestamp or webhook-signature is malformed${timestamp === undefined ? unitNote(timestampText) : ''}`,
      );
    }
    const keyIndex = matchKey(signatures, keys, (key) =>
      standardWebhooksDigest(key, id, timestampText.trim(), body),
    );
    return conclude(this.name, keyIndex, timestamp, toleranceSeconds, nowSeconds, {
      messageId: id,
      signaturesPresented: signatures.length,
    });
  }

  sign({ body, key, timestamp, id }: SignRequest): Record<string, string> {
    return standardWebhooksHeaders(
      this.keyBytes(key),
      id ?? `msg_${Date.now().toString(36)}`,
      timestamp,
      body,
    );
  }
}
