import type { IncomingHttpHeaders } from 'node:http';
import type { HmacSchemeOptions } from '../../../config/app-config.js';
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

/** A plain HMAC header, configured per source (header, prefix, template, algorithm, encoding). */
export class HmacScheme implements SignatureScheme {
  readonly name = 'hmac' as const;
  readonly headers: readonly string[];
  private readonly signsTimestamp: boolean;

  constructor(private readonly options: HmacSchemeOptions) {
    this.signsTimestamp = options.template.includes('{timestamp}');
    this.headers = [options.header, ...(options.timestampHeader ? [options.timestampHeader] : [])];
  }

  keyBytes(key: string): Buffer {
    return Buffer.from(key, 'utf8');
  }

  verify(
    headers: IncomingHttpHeaders,
    body: Buffer,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): Verification {
    const { header: name, prefix, timestampHeader, algorithm, encoding } = this.options;
    const value = header(headers, name);
    if (value === undefined) return rejectHeader(this.name, 'missing_header', `no ${name} header`);
    let timestampText: string | undefined;
    let timestamp: number | undefined;
    if (this.signsTimestamp) {
      timestampText = header(headers, timestampHeader!)?.trim();
      timestamp = parseTimestamp(timestampText);
      if (timestamp === undefined) {
        return rejectHeader(
          this.name,
          'malformed_header',
          `${timestampHeader} is missing or not unix seconds${unitNote(timestampText)}`,
        );
      }
    }
    const signatures = value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.startsWith(prefix))
      .map((part) => decodeSignature(part.slice(prefix.length), encoding))
      .filter((bytes): bytes is Buffer => bytes !== undefined);
    if (signatures.length === 0) {
      return rejectHeader(this.name, 'malformed_header', `${name} holds no ${prefix}<${encoding}> signature`);
    }
    const parts = timestampText === undefined ? [] : [`${timestampText}.`];
    const keyIndex = matchKey(signatures, keys, (key) => hmac(algorithm, key, ...parts, body));
    return conclude(this.name, keyIndex, timestamp, toleranceSeconds, nowSeconds, {
      signaturesPresented: signatures.length,
    });
  }

  sign({ body, key, timestamp }: SignRequest): Record<string, string> {
    const { header: name, prefix, timestampHeader, algorithm, encoding } = this.options;
    const parts = this.signsTimestamp ? [`${timestamp}.`] : [];
    const signature = hmac(algorithm, this.keyBytes(key), ...parts, body).toString(encoding);
    return {
      [name]: `${prefix}${signature}`,
      ...(this.signsTimestamp && timestampHeader ? { [timestampHeader]: String(timestamp) } : {}),
    };
  }
}

function decodeSignature(text: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  if (encoding === 'hex') return /^[0-9a-fA-F]+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  return decodeBase64(text);
}
