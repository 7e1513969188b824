import { OutboundClient } from '../../platform/outbound/index.js';
import type { SlackMessage } from './slack-message.js';

/**
 * Posts to a Slack incoming webhook. The URL is the secret: errors name "the incoming
 * webhook", never the URL. Slack's 429 with Retry-After waits; its 400/403/404 texts
 * (`invalid_blocks`, `no_service`) make the delivery dead with that reason.
 */
export class SlackWebhook {
  private readonly http: OutboundClient;

  constructor(
    private readonly url: string,
    timeoutMs: number,
  ) {
    this.http = new OutboundClient({
      name: 'Slack',
      label: 'the incoming webhook',
      timeoutMs,
      secrets: [url, new URL(url).pathname],
    });
  }

  async post(message: SlackMessage, signal?: AbortSignal): Promise<void> {
    await this.http.request({ method: 'POST', url: this.url, json: message, signal, what: 'post' });
  }
}
