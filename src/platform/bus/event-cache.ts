import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { parseWhippyEvent } from '../events/index.js';
import { EventsRepository } from '../store/events.repository.js';
import { toIncoming } from './delivery-rows.js';
import type { RawEvent } from './subscriber.js';

/** A stored event as a handler gets it: typed, and as received. */
export interface ParsedEvent {
  event: unknown;
  raw: RawEvent;
}

/**
 * Parsed events for the deliveries about to run, so an event is read and parsed once for all
 * its subscribers. Bounded (delivery.window entries, oldest out first): a miss reads the event
 * from the store and parses it again.
 */
@Injectable()
export class EventCache {
  private readonly events = new Map<string, ParsedEvent>();
  private readonly max: number;

  constructor(
    private readonly stored: EventsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.max = config.get('delivery', { infer: true }).window;
  }

  put(eventId: string, parsed: ParsedEvent): void {
    this.events.delete(eventId);
    this.events.set(eventId, parsed);
    if (this.events.size > this.max) this.events.delete(this.events.keys().next().value!);
  }

  peek(eventId: string): ParsedEvent | undefined {
    return this.events.get(eventId);
  }

  /** The event, parsed; undefined when it is gone or no longer valid. */
  async get(eventId: string): Promise<ParsedEvent | undefined> {
    const cached = this.events.get(eventId);
    if (cached) return cached;
    const [row] = await this.stored.forClassification({ ids: [eventId], limit: 1 });
    if (!row) return undefined;
    const incoming = toIncoming(row);
    if (!incoming.data) return undefined;
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status !== 'valid') return undefined;
    const result = {
      event: parsed.event,
      raw: { type: incoming.type, source: incoming.source, data: incoming.data },
    };
    this.put(eventId, result);
    return result;
  }

  clear(): void {
    this.events.clear();
  }
}
