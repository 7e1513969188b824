// Whippy webhook signing, shared by the benchmark client and the baseline servers so both sides
// agree byte for byte: header `t=<unix seconds>,v1=<base64 HMAC-SHA256(key, `${t}.${rawBody}`)>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-whippy-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

// A base64 SHA-256 digest is always 44 characters; anything else cannot match.
const DIGEST_B64_LENGTH = 44;

/** HMAC over `${t}.` + raw body, without turning a Buffer body into a string first. */
export function computeSignature(key, timestamp, rawBody) {
  return createHmac('sha256', key).update(`${timestamp}.`).update(rawBody).digest('base64');
}

/** Builds the header value for a body signed now (or at `timestamp`). */
export function signatureHeader(key, rawBody, timestamp = Math.floor(Date.now() / 1000)) {
  return `t=${timestamp},v1=${computeSignature(key, timestamp, rawBody)}`;
}

/** Parses `t=...,v1=...[,v1=...]`; returns null when malformed. Several v1 entries are allowed (key rotation). */
export function parseSignatureHeader(header) {
  if (typeof header !== 'string' || header.length === 0 || header.length > 4096) return null;
  let timestamp = null;
  const signatures = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (name === 'v1' && value.length > 0) {
      signatures.push(value);
    }
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/**
 * True when one of the header's v1 signatures matches the body under one of `keys` and the
 * timestamp is within the tolerance. Comparison is constant-time over equal-length strings.
 */
export function verifySignature(rawBody, header, keys, options = {}) {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const parsed = parseSignatureHeader(header);
  if (!parsed || Math.abs(now - parsed.timestamp) > tolerance) return false;

  const candidates = parsed.signatures
    .filter((sig) => sig.length === DIGEST_B64_LENGTH)
    .map((sig) => Buffer.from(sig, 'latin1'));
  if (candidates.length === 0) return false;

  let ok = false;
  for (const key of keys) {
    const expected = Buffer.from(computeSignature(key, parsed.timestamp, rawBody), 'latin1');
    // No early exit: the work done does not depend on which key/signature matched.
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) ok = true;
    }
  }
  return ok;
}

/** WHIPPY_SIGNING_KEYS may hold several comma-separated keys (rotation). */
export function signingKeysFromEnv(value = process.env.WHIPPY_SIGNING_KEYS) {
  const keys = (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0) throw new Error('WHIPPY_SIGNING_KEYS is empty');
  return keys;
}
