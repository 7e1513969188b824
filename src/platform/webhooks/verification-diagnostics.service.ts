import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { hmac, matchKey, Rejected, StandardWebhooksScheme, WhippyScheme } from './schemes/index.js';
import { Source, SourceRegistry } from './sources.service.js';
import { idFactory } from '../store/ids.js';

/**
 * What most likely went wrong, worked out from the reason and from what would have matched:
 * the doctor groups failures by it and says what to do.
 */
export type FailureCause =
  | 'missing_header'
  | 'malformed_header'
  | 'clock_skew'
  | 'wrong_key'
  | 'retired_key'
  | 'other_source'
  | 'wrong_scheme'
  | 'body_altered';

/** Bodies up to this size are also tried re-serialised as JSON, to recognise a rewriting proxy. */
const REWRITE_CHECK_LIMIT = 64 * 1024;

/** What is kept of a request that failed verification: never a key, never the body. */
export interface VerificationFailure {
  id: string;
  source: string;
  at: string;
  scheme: string;
  reason: Rejected['reason'];
  cause: FailureCause;
  detail: string;
  /** What to check first, in words. */
  hint: string;
  /** Other keys, sources, schemes or signed forms that would have matched. */
  alternatives: string[];
  headerNames: string[];
  keysTried: number;
  signaturesPresented?: number;
  matchedKeyIndex?: number;
  /** Receiver's clock minus the request's timestamp, in seconds. */
  timestampSkewSeconds?: number;
  bodyBytes: number;
  remoteAddress?: string;
  userAgent?: string;
}

const HINTS: Record<Rejected['reason'], (source: Source) => string> = {
  missing_header: (s) =>
    `the request has no signature header for the ${s.config.scheme} scheme; check that the sender is Whippy and that sources.${s.config.name}.scheme is right`,
  malformed_header: (s) =>
    `the signature header is not in the ${s.config.scheme} format; check sources.${s.config.name}.scheme`,
  no_matching_signature: (s) =>
    `no key of the ring produced this signature: check that ${s.config.name === 'whippy' ? 'WHIPPY_SIGNING_KEYS' : `sources.${s.config.name}.keys`} holds the API key selected for the Whippy developer application (Developers → Webhooks → the application's key)`,
  timestamp_out_of_tolerance: (s) =>
    `the signature is right but the timestamp is outside ±${s.config.toleranceSeconds} s: check this machine's clock (NTP), or whether the request was replayed; sources.${s.config.name}.toleranceSeconds sets the window`,
};

/**
 * Keeps the latest verification failures in memory (no store write: a flood of forged
 * requests costs no disk) and works out what would have matched instead. The log gets one
 * compact, rate-limited line per failure from the RejectionLog; the details are read here.
 */
@Injectable()
export class VerificationDiagnostics {
  private readonly nextId = idFactory();
  private readonly failures: VerificationFailure[] = [];
  private readonly max: number;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly sources: SourceRegistry,
  ) {
    this.max = config.get('diagnostics', { infer: true }).maxFailures;
  }

  record(
    source: Source,
    rejected: Rejected,
    request: { headers: IncomingHttpHeaders; body: Buffer; remoteAddress?: string },
    nowSeconds: number,
  ): VerificationFailure {
    const { alternatives, cause } = this.alternatives(source, rejected, request.headers, request.body);
    const failure: VerificationFailure = {
      id: this.nextId(),
      source: source.config.name,
      at: new Date(nowSeconds * 1000).toISOString(),
      scheme: rejected.scheme,
      reason: rejected.reason,
      cause,
      detail: rejected.detail,
      hint: HINTS[rejected.reason](source),
      alternatives,
      headerNames: Object.keys(request.headers).sort(),
      keysTried: source.keys.length,
      signaturesPresented: rejected.signaturesPresented,
      matchedKeyIndex: rejected.keyIndex,
      timestampSkewSeconds: rejected.timestamp === undefined ? undefined : nowSeconds - rejected.timestamp,
      bodyBytes: request.body.length,
      remoteAddress: request.remoteAddress,
      userAgent:
        typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
    };
    if (this.max > 0) {
      this.failures.push(failure);
      if (this.failures.length > this.max) this.failures.shift();
    }
    return failure;
  }

  /** Newest first. */
  list(filter: { source?: string; limit: number }): VerificationFailure[] {
    const out: VerificationFailure[] = [];
    for (let i = this.failures.length - 1; i >= 0 && out.length < filter.limit; i--) {
      if (!filter.source || this.failures[i].source === filter.source) out.push(this.failures[i]);
    }
    return out;
  }

  /** Only runs on failures, so the cost is paid by the request that failed. */
  private alternatives(
    source: Source,
    rejected: Rejected,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): { alternatives: string[]; cause: FailureCause } {
    const found: string[] = [];
    let cause: FailureCause | undefined =
      rejected.reason === 'timestamp_out_of_tolerance'
        ? 'clock_skew'
        : rejected.reason === 'no_matching_signature'
          ? undefined
          : rejected.reason;
    // What matched explains a missing or malformed header better than the header itself.
    const explain = (found: FailureCause) => {
      if (cause === undefined || cause === 'missing_header' || cause === 'malformed_header') cause = found;
    };
    const retired = source.scheme.verify(headers, body, source.retiredKeys, 0, 0);
    if (retired.ok) {
      explain('retired_key');
      found.push(
        `the signature matches retired key #${retired.keyIndex} of source '${source.config.name}': Whippy still signs with a key taken out of the ring`,
      );
    }
    for (const other of this.sources.all()) {
      if (other === source) continue;
      const result = other.scheme.verify(headers, body, other.keys, 0, 0);
      if (result.ok) {
        explain('other_source');
        found.push(
          `the signature matches key #${result.keyIndex} of source '${other.config.name}': is the endpoint URL /webhooks/${other.config.name}?`,
        );
      }
    }
    for (const scheme of [new WhippyScheme(), new StandardWebhooksScheme()]) {
      if (scheme.name === source.scheme.name) continue;
      const keys = source.config.keys.map((key) => scheme.keyBytes(key));
      const result = scheme.verify(headers, body, keys, 0, 0);
      if (result.ok) {
        explain('wrong_scheme');
        found.push(
          `the request is signed with the ${scheme.name} scheme and key #${result.keyIndex}: set sources.${source.config.name}.scheme to ${scheme.name}`,
        );
      }
    }
    const presented = signaturesIn(headers);
    for (const algorithm of ['sha256', 'sha512']) {
      const keyIndex = matchKey(presented, source.keys, (key) => hmac(algorithm, key, body));
      if (keyIndex >= 0) {
        explain('wrong_scheme');
        found.push(
          `the signature is HMAC-${algorithm.toUpperCase()} of the body alone with key #${keyIndex} (no timestamp): use scheme hmac with template {body}`,
        );
      }
    }
    if (cause === undefined) {
      const altered = alteredForms(body).find(
        (form) => source.scheme.verify(headers, form.body, source.keys, 0, 0).ok,
      );
      if (altered) {
        cause = 'body_altered';
        found.push(
          `the signature matches the body ${altered.how}: something between Whippy and Switchyard (a proxy, a gateway) changed the body`,
        );
      }
    }
    return { alternatives: found, cause: cause ?? 'wrong_key' };
  }
}

/** The body as a rewriting proxy might have received it from Whippy, each with how it differs. */
function alteredForms(body: Buffer): { how: string; body: Buffer }[] {
  const text = body.toString('utf8');
  const forms: { how: string; body: string }[] = [
    { how: 'without the whitespace around it', body: text.trim() },
    { how: 'with a final newline', body: `${text}\n` },
    { how: 'with CRLF line ends', body: text.replace(/\r?\n/g, '\r\n') },
    { how: 'with LF line ends', body: text.replace(/\r\n/g, '\n') },
  ];
  if (body.length <= REWRITE_CHECK_LIMIT) {
    try {
      const value: unknown = JSON.parse(text);
      forms.push({ how: 'as compact JSON', body: JSON.stringify(value) });
      forms.push({ how: 'as indented JSON', body: JSON.stringify(value, null, 2) });
    } catch {
      // not JSON: nothing to re-serialise
    }
  }
  return forms
    .filter((form) => form.body !== text)
    .map((form) => ({ how: form.how, body: Buffer.from(form.body) }));
}

/** Every base64 or hex token in headers whose name mentions a signature. */
function signaturesIn(headers: IncomingHttpHeaders): Buffer[] {
  const out: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.includes('signature') || value === undefined) continue;
    for (const token of String(value).split(/[\s,;=]+/)) {
      if (/^[0-9a-fA-F]{64}$|^[0-9a-fA-F]{128}$/.test(token)) out.push(Buffer.from(token, 'hex'));
      else if (token.length >= 40 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(token))
        out.push(Buffer.from(token, 'base64'));
    }
  }
  return out;
}
