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

export const WHIPPY_SIGNATURE_HEADER = 'x-whippy-signature';

/**
 * `X-Whippy-Signature: t=<unix seconds>,v1=<signature>[,v1=…]`; HMAC-SHA256 over `<t>.<raw body>`
 * keyed with the API key's UTF-8 bytes; base64 (padded or not) or a 64-character hex digest.
 * Whippy does not publish the format, so a 13-digit `t=` is read as unix milliseconds (same
 * tolerance; the signed text is `t` as sent): accepting it weakens nothing.
 */
export class WhippyScheme implements SignatureScheme {
  readonly name = 'whippy' as const;
  readonly headers = [WHIPPY_SIGNATURE_HEADER];

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
    const value = header(headers, WHIPPY_SIGNATURE_HEADER);
    if (value === undefined)
      return rejectHeader(this.name, 'missing_header', `no ${WHIPPY_SIGNATURE_HEADER} header`);
    const parsed = parseWhippyHeader(value);
    if ('problem' in parsed) {
      return rejectHeader(
        this.name,
        'malformed_header',
        `${WHIPPY_SIGNATURE_HEADER} is not "t=<unix seconds>,v1=<signature>"${parsed.problem}`,
      );
    }
    const prefix = `${parsed.timestampText}.`;
    const keyIndex = matchKey(parsed.signatures, keys, (key) => hmac('sha256', key, prefix, body));
    return conclude(this.name, keyIndex, parsed.timestamp, toleranceSeconds, nowSeconds, {
      signaturesPresented: parsed.signatures.length,
    });
  }

  sign({ body, key, timestamp }: SignRequest): Record<string, string> {
    const signature = hmac('sha256', this.keyBytes(key), `${timestamp}.`, body).toString('base64');
    return { [WHIPPY_SIGNATURE_HEADER]: `t=${timestamp},v1=${signature}` };
  }
}

interface WhippyHeader {
  timestamp: number;
  timestampText: string;
  signatures: Buffer[];
}

/** `t=` as unix milliseconds: 13 digits (from 2001 to 2286). */
const MILLISECONDS = /^\d{13}$/;

function parseWhippyHeader(value: string): WhippyHeader | { problem: string } {
  let timestampText: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const item = part.slice(eq + 1).trim();
    if (name === 't') timestampText = item;
    else if (name === 'v1') {
      const bytes = /^[0-9a-fA-F]{64}$/.test(item) ? Buffer.from(item, 'hex') : decodeBase64(item);
      if (bytes) signatures.push(bytes);
    }
  }
  const text = timestampText?.trim();
  const timestamp =
    text !== undefined && MILLISECONDS.test(text) ? Math.floor(Number(text) / 1000) : parseTimestamp(text);
  if (timestamp === undefined || text === undefined) {
    return {
      problem: text === undefined ? ': no t=' : `: t=${text.slice(0, 24)} is not a time${unitNote(text)}`,
    };
  }
  if (signatures.length === 0) return { problem: ': no v1= signature' };
  return { timestamp, timestampText: text, signatures };
}
