import type { IncomingHttpHeaders } from 'node:http';
import {
  conclude,
  decodeBase64,
  header,
  hmac,
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
    return Buffer.from(key.startsWith('whsec_') ? key.slice('whsec_'.length) : key, 'base64');
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
    const prefix = `${id}.${timestampText.trim()}.`;
    const keyIndex = matchKey(signatures, keys, (key) => hmac('sha256', key, prefix, body));
    return conclude(this.name, keyIndex, timestamp, toleranceSeconds, nowSeconds, {
      messageId: id,
      signaturesPresented: signatures.length,
    });
  }

  sign({ body, key, timestamp, id }: SignRequest): Record<string, string> {
    const messageId = id ?? `msg_${Date.now().toString(36)}`;
    const signature = hmac('sha256', this.keyBytes(key), `${messageId}.${timestamp}.`, body).toString(
      'base64',
    );
    return {
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': `v1,${signature}`,
    };
  }
}
