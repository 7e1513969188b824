import { randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message Slack accepted. */
export interface SlackPost {
  text?: string;
  blocks?: SlackBlock[];
}

interface SlackBlock {
  type: string;
  text?: { type?: string; text?: unknown };
  elements?: { type?: string; text?: unknown }[];
}

type Fault = { status: number; body: string; retryAfter?: string };

/**
 * A Slack incoming webhook that checks what Slack checks: the secret path (else 404
 * `no_service`), a JSON payload (else 400 `invalid_payload`), a `text` or `blocks` (else 400
 * `no_text`), and Block Kit's shapes and limits (header 150 characters, section text 3000,
 * 50 blocks, 10 context elements; else 400 `invalid_blocks`). Rate limits answer 429 with
 * Retry-After when scripted.
 */
export class FakeSlack {
  readonly posts: SlackPost[] = [];
  readonly refused: { status: number; error: string }[] = [];
  /** The secret part of the webhook URL. */
  readonly secret = `XX${randomBytes(10).toString('hex')}`;
  private readonly faults: Fault[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answer = this.receive(
          req.method ?? '',
          req.url ?? '',
          req.headers['content-type'],
          Buffer.concat(chunks).toString('utf8'),
        );
        if (answer.status !== 200) this.refused.push({ status: answer.status, error: answer.body });
        res.writeHead(answer.status, {
          'content-type': 'text/html',
          ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
        });
        res.end(answer.body);
      });
    });
  }

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get webhookUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T0001/B0001/${this.secret}`;
  }

  /** The next posts get these answers instead. */
  failNext(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** All the text a person would read in a post: fallback and blocks. */
  static textOf(post: SlackPost): string {
    const parts = [post.text ?? ''];
    for (const block of post.blocks ?? []) {
      if (typeof block.text?.text === 'string') parts.push(block.text.text);
      for (const element of block.elements ?? [])
        if (typeof element.text === 'string') parts.push(element.text);
    }
    return parts.join('\n');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(method: string, url: string, contentType: string | undefined, body: string): Fault {
    if (url !== `/services/T0001/B0001/${this.secret}`) return { status: 404, body: 'no_service' };
    if (method !== 'POST') return { status: 405, body: 'invalid_method' };
    const fault = this.faults.shift();
    if (fault) return fault;
    if (!/^application\/json/.test(contentType ?? '')) return { status: 400, body: 'invalid_payload' };
    let payload: SlackPost;
    try {
      payload = JSON.parse(body) as SlackPost;
    } catch {
      return { status: 400, body: 'invalid_payload' };
    }
    if (!payload || typeof payload !== 'object') return { status: 400, body: 'invalid_payload' };
    const hasText = typeof payload.text === 'string' && payload.text.trim() !== '';
    const hasBlocks = Array.isArray(payload.blocks) && payload.blocks.length > 0;
    if (!hasText && !hasBlocks) return { status: 400, body: 'no_text' };
    if (payload.blocks !== undefined && !validBlocks(payload.blocks))
      return { status: 400, body: 'invalid_blocks' };
    this.posts.push(payload);
    return { status: 200, body: 'ok' };
  }
}

function validText(text: unknown, types: string[], max: number): boolean {
  const object = text as { type?: unknown; text?: unknown } | undefined;
  return (
    !!object &&
    types.includes(object.type as string) &&
    typeof object.text === 'string' &&
    object.text.length > 0 &&
    object.text.length <= max
  );
}

function validBlocks(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return false;
  return blocks.every((block: SlackBlock) => {
    switch (block?.type) {
      case 'header':
        return validText(block.text, ['plain_text'], 150);
      case 'section':
        return validText(block.text, ['plain_text', 'mrkdwn'], 3000);
      case 'context':
        return (
          Array.isArray(block.elements) &&
          block.elements.length > 0 &&
          block.elements.length <= 10 &&
          block.elements.every((element) => validText(element, ['plain_text', 'mrkdwn'], 3000))
        );
      case 'divider':
        return true;
      default:
        return false;
    }
  });
}
