import { createHmac } from 'node:crypto';
import { type DeliveryContext, PermanentFailure, RetryLater } from '../../platform/bus/index.js';

/** The body a target receives: the stored event, its data in the catalog's camelCase shape. */
export interface RelayPayload {
  id: string;
  type: string;
  source: string;
  /** ISO 8601, UTC. */
  receivedAt: string;
  data: unknown;
}

export interface RelayClientOptions {
  url: string;
  /** `whsec_<base64>`; the decoded bytes are the HMAC key. */
  secret: string;
  /** Per POST, on top of the delivery's own abort signal. */
  timeoutMs: number;
}

/** How much of a failing answer's body goes into the delivery's last error. */
const ERROR_TEXT_LIMIT = 500;

/**
 * Sends one event to one target as a Standard Webhooks request and turns the answer into the
 * delivery engine's terms: return on 2xx, `RetryLater` on a 429 or 503 that says when, a plain error
 * (retry with backoff) on 408, 429, 5xx, redirects, timeouts and network errors, and
 * `PermanentFailure` on any other 4xx, which no retry will change.
 */
export class RelayClient {
  private readonly key: Buffer;
  /** The URL without credentials or query, safe for logs and stored errors. */
  private readonly shownUrl: string;

  constructor(private readonly options: RelayClientOptions) {
    this.key = Buffer.from(options.secret.replace(/^whsec_/, ''), 'base64');
    const url = new URL(options.url);
    this.shownUrl = `${url.origin}${url.pathname}`;
  }

  async send(payload: RelayPayload, ctx: Pick<DeliveryContext, 'idempotencyKey' | 'signal'>): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Switchyard-Relay',
      'webhook-id': ctx.idempotencyKey,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${this.sign(`${ctx.idempotencyKey}.${timestamp}.${body}`)}`,
    };
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(this.options.timeoutMs)]);

    let response: Response;
    try {
      // A redirected POST turns into a GET in fetch; the target's URL should be the final one.
      response = await fetch(this.options.url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    } catch (error) {
      throw this.transportError(error, ctx.signal);
    }

    const { status } = response;
    if (status >= 200 && status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return;
    }
    const answer = `${this.shownUrl} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
    // Retry-After is how a receiver under load (429) or in maintenance (503) says when.
    const delayMs =
      status === 429 || status === 503 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
    if (delayMs !== undefined) {
      await response.body?.cancel().catch(() => undefined);
      throw new RetryLater(delayMs, `${answer}; Retry-After ${delayMs} ms`);
    }
    if (status >= 300 && status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      throw new Error(
        `${answer}${location ? ` (to ${location})` : ''}; redirects are not followed, configure the final URL`,
      );
    }
    const text = await excerpt(response, ERROR_TEXT_LIMIT);
    const message = text ? `${answer}: ${text}` : answer;
    if (status === 408 || status === 429 || status >= 500) throw new Error(message);
    throw new PermanentFailure(message);
  }

  private sign(content: string): string {
    return createHmac('sha256', this.key).update(content).digest('base64');
  }

  private transportError(error: unknown, deliverySignal: AbortSignal): Error {
    if (deliverySignal.aborted) {
      return new Error(`POST ${this.shownUrl} aborted: ${describe(deliverySignal.reason)}`, { cause: error });
    }
    if (isError(error) && error.name === 'TimeoutError') {
      return new Error(`POST ${this.shownUrl}: no answer within ${this.options.timeoutMs} ms`, {
        cause: error,
      });
    }
    // fetch reports every network failure as "fetch failed"; the cause says which.
    const cause = isError(error) && error.cause !== undefined ? error.cause : error;
    return new Error(`POST ${this.shownUrl} failed: ${describe(cause)}`, { cause: error });
  }
}

/**
 * Duck-typed: fetch's errors come from Node's own realm, where `instanceof Error` of another
 * context (a test runner's vm, say) does not hold.
 */
const isError = (value: unknown): value is Error & { cause?: unknown } =>
  typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';

const describe = (value: unknown): string => (isError(value) ? value.message : String(value));

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse reads bare numbers such as "-1" as years; an HTTP date names a day or month.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The start of a failing answer's body, on one line; enough to say what the target disliked. */
async function excerpt(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // Four bytes per character at most: enough for `limit` characters of any UTF-8 text.
    while (size <= limit * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut short still says something; the status decides the outcome.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
