import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One relayed request: which delivery (`webhook-id`), which event and key, when. */
export interface RecordedCall {
  delivery: string;
  eventId: string;
  key?: string;
  startedAt: number;
  endedAt?: number;
}

/**
 * A relay target that records every call and whether two ever overlapped: the same delivery
 * (`webhook-id`, `<event id>:relay.<name>`) running twice at once, or two deliveries of the
 * same key (`data.contactId`) at once. Each call takes a few milliseconds, so overlaps
 * would show.
 */
export class DeliveryRecorder {
  readonly calls: RecordedCall[] = [];
  readonly overlaps: string[] = [];
  private readonly running = new Set<string>();
  private readonly keysRunning = new Set<string>();
  private readonly server: Server;
  /** Statuses for the next calls, in order; 200 once they are used up. */
  private readonly script: number[] = [];

  private constructor(private readonly holdMs: number) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: string;
          data: { contactId?: string };
        };
        const call: RecordedCall = {
          delivery: String(req.headers['webhook-id']),
          eventId: body.id,
          key: body.data.contactId,
          startedAt: Date.now(),
        };
        this.calls.push(call);
        if (this.running.has(call.delivery))
          this.overlaps.push(`delivery ${call.delivery} ran twice at once`);
        if (call.key && this.keysRunning.has(call.key))
          this.overlaps.push(`key ${call.key} ran twice at once`);
        this.running.add(call.delivery);
        if (call.key) this.keysRunning.add(call.key);
        const end = () => {
          if (call.endedAt !== undefined) return;
          this.running.delete(call.delivery);
          if (call.key) this.keysRunning.delete(call.key);
          call.endedAt = Date.now();
        };
        // A caller that gave up (its timeout) closed the connection: that call is over.
        res.on('close', end);
        setTimeout(() => {
          end();
          const status = this.script.shift() ?? 200;
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
        }, Math.random() * this.holdMs);
      });
    });
  }

  static async start(holdMs = 5): Promise<DeliveryRecorder> {
    const recorder = new DeliveryRecorder(holdMs);
    await new Promise<void>((resolve) => recorder.server.listen(0, '127.0.0.1', resolve));
    return recorder;
  }

  /** The next calls are answered with these statuses, in order. */
  answer(...statuses: number[]): this {
    this.script.push(...statuses);
    return this;
  }

  url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Event ids in the order their first call came, per key. */
  orderOf(key: string): string[] {
    const seen = new Set<string>();
    for (const call of this.calls) if (call.key === key) seen.add(call.eventId);
    return [...seen];
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
