import { PermanentFailure, RetryLater } from '../bus/delivery-errors.js';
import { retryAfterMs } from './retry-after.js';
import { shownUrl } from './shown-url.js';

export interface OutboundClientOptions {
  /** Names the outside service in errors, e.g. `HubSpot`. */
  name: string;
  /** Where relative request paths start, e.g. `https://api.hubapi.com`. */
  baseUrl?: string;
  /** Per request, on top of the delivery's own abort signal. @default 10000 */
  timeoutMs?: number;
  /** Sent with every request (an `authorization` header, say). Never logged, never in errors. */
  headers?: Record<string, string>;
  /**
   * Shown instead of any URL in errors, when the URL itself is the secret (a Slack incoming
   * webhook). Without it, errors show the origin and the first path segment.
   */
  label?: string;
  /** Show the whole path (never the query) in errors, when paths hold no secret. @default false */
  showPath?: boolean;
  /** More values that must never appear in an error (echoed back by a careless API). */
  secrets?: string[];
}

export interface OutboundRequest {
  /** @default 'GET', or 'POST' when a body is given */
  method?: string;
  /** Absolute, or relative to `baseUrl`. */
  url: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON, with `content-type: application/json`. */
  json?: unknown;
  /** Sent as is: a form (`URLSearchParams`) or text. */
  body?: string | URLSearchParams;
  /** The delivery's signal (`ctx.signal`): aborting it abandons the request. */
  signal?: AbortSignal;
  /** Statuses handed back as a response instead of thrown (HubSpot's 409, a 404, a 401 to log in again). */
  accept?: readonly number[];
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** What the request does, for errors: `search contacts`. */
  what?: string;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json<T = unknown>(): T | undefined;
}

/** Shortest wait a 429 or 503 gets, when its Retry-After says 0 or a time already past. */
export const RETRY_AFTER_FLOOR_MS = 1000;
/** How much of a failing answer goes into the delivery's last error. */
const ERROR_TEXT_LIMIT = 500;
/** Most of a successful answer read into memory. */
const BODY_LIMIT = 8 * 1024 * 1024;

/**
 * The one HTTP client of integrations. It turns answers into the delivery engine's terms:
 * a 2xx (or an accepted status) is a response; 429 or 503 with Retry-After is `RetryLater`;
 * 408, 429, other 5xx, redirects, timeouts and network errors are plain errors (retried with
 * backoff); any other 4xx is `PermanentFailure` carrying the API's own error text. Redirects
 * are not followed. Errors show URLs without credentials, query or path secrets.
 */
export class OutboundClient {
  private readonly timeoutMs: number;
  private readonly secrets: string[];

  constructor(private readonly options: OutboundClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.secrets = [...Object.values(options.headers ?? {}), ...(options.secrets ?? [])]
      .flatMap((value) => [value, value.replace(/^(Bearer|Basic)\s+/i, '')])
      .filter((value) => value.length >= 6);
  }

  /** The URL as errors show it. */
  shown(url: string): string {
    return shownUrl(this.resolve(url), { label: this.options.label, showPath: this.options.showPath });
  }

  async request(request: OutboundRequest): Promise<OutboundResponse> {
    const url = this.resolve(request.url, request.query);
    const method = request.method ?? (request.json !== undefined || request.body ? 'POST' : 'GET');
    const headers: Record<string, string> = {
      'user-agent': 'Switchyard',
      ...this.options.headers,
      ...request.headers,
    };
    // fetch refuses a URL with credentials (and would name it in the error): send them as Basic auth.
    if (url.username || url.password) {
      headers.authorization ??= `Basic ${Buffer.from(
        `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
      ).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    let body: string | URLSearchParams | undefined = request.body;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] ??= 'application/json';
    }
    const timeoutMs = request.timeoutMs ?? this.timeoutMs;
    const deliverySignal = request.signal;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = deliverySignal ? AbortSignal.any([deliverySignal, timeout]) : timeout;
    const where = `${this.options.name}${request.what ? ` ${request.what}` : ''} (${method} ${this.shown(url.toString())})`;

    let response: Response;
    try {
      // A redirected POST turns into a GET in fetch; the configured URL should be the final one.
      response = await fetch(url, { method, headers, body, signal, redirect: 'manual' });
    } catch (error) {
      throw this.transportError(error, where, timeoutMs, deliverySignal);
    }

    const { status } = response;
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
      const text = await readText(response, BODY_LIMIT).catch((error: unknown) => {
        throw this.transportError(error, where, timeoutMs, deliverySignal);
      });
      return { status, headers: response.headers, text, json: () => parseJson(text) };
    }

    const answer = `${where} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}`;
    // Retry-After is how a service under load (429) or in maintenance (503) says when.
    const delayMs =
      status === 429 || status === 503 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
    if (delayMs !== undefined) {
      await response.body?.cancel().catch(() => undefined);
      const wait = Math.max(delayMs, RETRY_AFTER_FLOOR_MS);
      throw new RetryLater(wait, `${answer}; Retry-After ${wait} ms`);
    }
    if (status >= 300 && status < 400) {
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      const to =
        location && URL.canParse(location, url.toString()) ? shownUrl(new URL(location, url)) : undefined;
      throw new Error(
        `${answer}${to ? ` (to ${to})` : ''}; redirects are not followed, configure the final URL`,
      );
    }
    const text = this.scrub(errorText(await excerpt(response, ERROR_TEXT_LIMIT * 4)));
    const message = text ? `${answer}: ${text}` : answer;
    if (status === 408 || status === 429 || status >= 500) throw new Error(message);
    throw new PermanentFailure(message);
  }

  private resolve(path: string, query?: OutboundRequest['query']): URL {
    const url = this.options.baseUrl ? new URL(path, withSlash(this.options.baseUrl)) : new URL(path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }

  private transportError(
    error: unknown,
    where: string,
    timeoutMs: number,
    deliverySignal: AbortSignal | undefined,
  ): Error {
    if (deliverySignal?.aborted) {
      return new Error(`${where} aborted: ${describe(deliverySignal.reason)}`, { cause: error });
    }
    if (isError(error) && error.name === 'TimeoutError') {
      return new Error(`${where}: no answer within ${timeoutMs} ms`, { cause: error });
    }
    // fetch reports every network failure as "fetch failed"; the cause says which.
    const cause = isError(error) && error.cause !== undefined ? error.cause : error;
    return new Error(`${where} failed: ${this.scrub(describe(cause))}`, { cause: error });
  }
}

/** `new URL('contacts', 'https://h/crm/v3')` drops `v3`; a base ending in `/` keeps it. */
const withSlash = (base: string): string => (base.endsWith('/') ? base : `${base}/`);

/**
 * Duck-typed: fetch's errors come from Node's own realm, where `instanceof Error` of another
 * context (a test runner's vm, say) does not hold.
 */
const isError = (value: unknown): value is Error & { cause?: unknown } =>
  typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';

const describe = (value: unknown): string => (isError(value) ? value.message : String(value));

function parseJson<T>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * What an API says went wrong: the message of a JSON error body (`message`, `errorMessage`,
 * `error_description`, `error`), else the text itself, on one line and at most 500
 * characters. Emails and phone numbers an API echoes back (validation errors do) are masked:
 * the text ends up in logs and stored errors.
 */
export function errorText(body: string): string {
  const json = parseJson<Record<string, unknown>>(body);
  let text = body;
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const found = ['message', 'errorMessage', 'error_description', 'error'].find(
      (key) => typeof json[key] === 'string' && json[key],
    );
    if (found) text = json[found] as string;
  }
  text = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[^\s@"'<>()[\]{},;:]+@[^\s@"'<>()[\]{},;:]+\.[a-z]{2,}/gi, '<email>')
    .replace(/\+\d[\d\s().-]{6,18}\d/g, '<phone>');
  return text.length > ERROR_TEXT_LIMIT ? `${text.slice(0, ERROR_TEXT_LIMIT)}…` : text;
}

/** The whole body, up to `limit` bytes (more is an error: no API answers this much). */
async function readText(response: Response, limit: number): Promise<string> {
  const bytes = await readBytes(response, limit, true);
  return bytes.toString('utf8');
}

/** The start of a failing answer's body; enough to say what the service disliked. */
async function excerpt(response: Response, limit: number): Promise<string> {
  try {
    return (await readBytes(response, limit, false)).toString('utf8');
  } catch {
    // A body cut short still says something; the status decides the outcome.
    return '';
  }
}

async function readBytes(response: Response, limit: number, strict: boolean): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > limit) {
        if (strict) throw new Error(`the answer is larger than ${limit} bytes`);
        break;
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks);
}
