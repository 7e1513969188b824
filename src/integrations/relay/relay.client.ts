import type { DeliveryContext } from '../../platform/bus/index.js';
import {
  OutboundClient,
  standardWebhooksHeaders,
  standardWebhooksKey,
} from '../../platform/outbound/index.js';

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
  /** The target's name, for errors. @default 'relay target' */
  name?: string;
  url: string;
  /** `whsec_<base64>`; the decoded bytes are the HMAC key. */
  secret: string;
  /** Per POST, on top of the delivery's own abort signal. */
  timeoutMs: number;
}

/**
 * Sends one event to one target as a Standard Webhooks request, through the platform's
 * outbound client: 2xx is success, 429/503 with Retry-After waits, 408, 429, 5xx, redirects,
 * timeouts and network errors retry, any other 4xx is permanent.
 */
export class RelayClient {
  private readonly key: Buffer;
  private readonly http: OutboundClient;

  constructor(private readonly options: RelayClientOptions) {
    this.key = standardWebhooksKey(options.secret);
    this.http = new OutboundClient({
      name: options.name ? `relay target '${options.name}'` : 'relay target',
      timeoutMs: options.timeoutMs,
      headers: { 'user-agent': 'Switchyard-Relay' },
    });
  }

  async send(payload: RelayPayload, ctx: Pick<DeliveryContext, 'idempotencyKey' | 'signal'>): Promise<void> {
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    await this.http.request({
      method: 'POST',
      url: this.options.url,
      headers: {
        'content-type': 'application/json',
        ...standardWebhooksHeaders(this.key, ctx.idempotencyKey, timestamp, body),
      },
      body,
      signal: ctx.signal,
    });
  }
}
