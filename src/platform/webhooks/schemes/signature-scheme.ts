import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SchemeName } from '../../../config/app-config.js';

export type RejectReason =
  'missing_header' | 'malformed_header' | 'no_matching_signature' | 'timestamp_out_of_tolerance';

export interface Verified {
  ok: true;
  scheme: SchemeName;
  /** Which key of the ring matched: 0 is the current key. */
  keyIndex: number;
  timestamp?: number;
  /** A scheme's own message id (Standard Webhooks' `webhook-id`), used as the dedupe key. */
  messageId?: string;
}

export interface Rejected {
  ok: false;
  scheme: SchemeName;
  reason: RejectReason;
  /** Human-readable detail for the diagnostic record; never contains a key. */
  detail: string;
  keyIndex?: number;
  timestamp?: number;
  signaturesPresented?: number;
}

export type Verification = Verified | Rejected;

export interface SignRequest {
  body: Buffer | string;
  key: string;
  /** Unix seconds. */
  timestamp: number;
  id?: string;
}

/** One way of proving a request's origin: one file per scheme beside this one. */
export interface SignatureScheme {
  readonly name: SchemeName;
  /** Headers this scheme reads; they are kept with the stored event. */
  readonly headers: readonly string[];
  /** The bytes an HMAC is keyed with, decoded once at start. */
  keyBytes(key: string): Buffer;
  /**
   * Checks a request against every key of the ring. `toleranceSeconds` 0 skips the
   * timestamp check.
   */
  verify(
    headers: IncomingHttpHeaders,
    body: Buffer,
    keys: readonly Buffer[],
    toleranceSeconds: number,
    nowSeconds: number,
  ): Verification;
  /** Headers that make a request this scheme accepts (the CLI's `send`, tests). */
  sign(request: SignRequest): Record<string, string>;
}

export function hmac(algorithm: string, key: Buffer, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Constant-time comparison of a presented signature with every key's digest. */
export function matchKey(
  presented: readonly Buffer[],
  keys: readonly Buffer[],
  digest: (key: Buffer) => Buffer,
): number {
  for (let i = 0; i < keys.length; i++) {
    const expected = digest(keys[i]);
    for (const candidate of presented) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return i;
    }
  }
  return -1;
}

export function header(headers: IncomingHttpHeaders, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = headers[name];
    if (Array.isArray(value)) return value.join(',');
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Unix seconds as written in a header; undefined if it is not a whole number. */
export function parseTimestamp(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** What a whole-number timestamp of this many digits most likely counts, when not seconds. */
const OTHER_UNITS: Record<number, string> = { 13: 'milliseconds', 16: 'microseconds', 19: 'nanoseconds' };

/**
 * Says, for the diagnostics, when a timestamp looks like a unit other than unix seconds (13
 * digits: milliseconds, 16: microseconds, 19: nanoseconds); '' otherwise.
 */
export function unitNote(value: string | undefined): string {
  const text = value?.trim() ?? '';
  const unit = /^\d+$/.test(text) ? OTHER_UNITS[text.length] : undefined;
  return unit ? ` (${text} looks like unix ${unit}, not seconds)` : '';
}

/** Decides the outcome once the signature check and the timestamp are known. */
export function conclude(
  scheme: SchemeName,
  keyIndex: number,
  timestamp: number | undefined,
  toleranceSeconds: number,
  nowSeconds: number,
  extra: { messageId?: string; signaturesPresented: number },
): Verification {
  if (keyIndex < 0) {
    return {
      ok: false,
      scheme,
      reason: 'no_matching_signature',
      detail: `none of the ${extra.signaturesPresented} signature(s) presented matches a key of the ring`,
      timestamp,
      signaturesPresented: extra.signaturesPresented,
    };
  }
  if (
    timestamp !== undefined &&
    toleranceSeconds > 0 &&
    Math.abs(nowSeconds - timestamp) > toleranceSeconds
  ) {
    const skew = nowSeconds - timestamp;
    return {
      ok: false,
      scheme,
      reason: 'timestamp_out_of_tolerance',
      detail: `signature matches key #${keyIndex}, but the timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'old' : 'in the future'} (tolerance ${toleranceSeconds} s)`,
      keyIndex,
      timestamp,
      signaturesPresented: extra.signaturesPresented,
    };
  }
  return { ok: true, scheme, keyIndex, timestamp, messageId: extra.messageId };
}

export const rejectHeader = (
  scheme: SchemeName,
  reason: 'missing_header' | 'malformed_header',
  detail: string,
): Rejected => ({ ok: false, scheme, reason, detail });

/** base64 (padded or not, standard or URL-safe) to bytes; undefined for anything else. */
export function decodeBase64(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}
