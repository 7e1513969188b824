import { Injectable } from '@nestjs/common';
import type { EventsTable, EventStatus } from '../store/database.js';
import { EventReadsRepository, type EventFilter } from '../store/event-reads.repository.js';
import { EventsRepository } from '../store/events.repository.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { ClassifierSlot, type EventClassifier, type IncomingEvent } from './event-classifier.js';

export { StoreUnavailableError } from '../store/store-writer.service.js';
export type { EventStatus } from '../store/database.js';

export interface NewEvent {
  source: string;
  /** The dedupe key: the envelope's request_id, or the scheme's message id. */
  requestId: string;
  type: string;
  status: EventStatus;
  rawBody: Buffer;
  headers: Record<string, string>;
  verification: Record<string, unknown>;
  /** The envelope's `data`: with it, a `received` event is classified in its own commit. */
  data?: Record<string, unknown>;
}

export interface Recorded {
  id: string;
  duplicate: boolean;
  receivedAt: string;
  /** The status stored (a duplicate's is not read: the one asked for). */
  status: EventStatus;
}

export interface StoredEventSummary {
  id: string;
  source: string;
  requestId: string;
  type: string;
  status: EventStatus;
  receivedAt: string;
}

export interface StoredEvent extends StoredEventSummary {
  rawBody: Buffer;
  headers: Record<string, string>;
  verification: Record<string, unknown>;
  errors: unknown;
}

export type EventQuery = EventFilter;

/**
 * The durable inbox. `record()` resolves only after the event is committed; requests that
 * arrive together share one commit through the StoreWriter.
 */
@Injectable()
export class Inbox {
  private readonly classifier = new ClassifierSlot();

  constructor(
    private readonly events: EventsRepository,
    private readonly reads: EventReadsRepository,
    private readonly writer: StoreWriter,
  ) {
    writer.useProbe(() => events.probe());
  }

  /**
   * Classifies each new `received` event before its commit (see EventClassifier); returns the
   * function that stops it.
   */
  useClassifier(classifier: EventClassifier): () => void {
    return this.classifier.use(classifier);
  }

  /**
   * Commits a new event; a repeated `(source, requestId)` answers with the first event's id.
   * With a classifier, a `received` event is stored classified, with its deliveries, in the
   * same commit.
   */
  async record(event: NewEvent): Promise<Recorded> {
    const now = new Date().toISOString();
    const row: EventsTable = {
      id: this.events.nextId(),
      source: event.source,
      request_id: event.requestId,
      type: event.type,
      status: event.status,
      raw_body: event.rawBody,
      headers: JSON.stringify(event.headers),
      verification: JSON.stringify(event.verification),
      errors: null,
      received_at: now,
      updated_at: now,
    };
    const incoming: IncomingEvent | undefined =
      event.status === 'received' && event.data
        ? {
            id: row.id,
            source: row.source,
            requestId: row.request_id,
            type: row.type,
            receivedAt: now,
            data: event.data,
          }
        : undefined;
    const classified = incoming && this.classifier.classify(incoming);
    let results: unknown[][];
    if (classified) {
      row.status = classified.status;
      row.errors = classified.errors === undefined ? null : JSON.stringify(classified.errors);
    }
    try {
      results = await this.writer.write([this.events.insert(row), ...(classified?.statements ?? [])]);
    } catch (error) {
      // A store that refuses every write refuses the event alone too: no second try.
      if (!classified || !this.writer.writable) throw error;
      // What refused the classification must not refuse the event: stored as received, it is
      // classified after the commit (the bus retries that until the store takes it).
      row.status = 'received';
      row.errors = null;
      results = await this.writer.write([this.events.insert(row)]);
      return this.recorded(event, row, results[0]);
    }
    if (classified && results[0].length > 0)
      this.classifier.committed(incoming!, classified, results.slice(1));
    return this.recorded(event, row, results[0]);
  }

  private async recorded(event: NewEvent, row: EventsTable, inserted: unknown[]): Promise<Recorded> {
    if (inserted.length > 0)
      return { id: row.id, duplicate: false, receivedAt: row.received_at, status: row.status };
    const first = await this.events.first(event.source, event.requestId);
    return { id: first.id, duplicate: true, receivedAt: first.received_at, status: event.status };
  }

  async list(query: EventQuery): Promise<StoredEventSummary[]> {
    return (await this.reads.list(query)).map(summary);
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const row = await this.events.get(id);
    if (!row) return undefined;
    return {
      ...summary(row),
      rawBody: Buffer.from(row.raw_body),
      headers: JSON.parse(row.headers),
      verification: JSON.parse(row.verification),
      errors: row.errors === null ? null : JSON.parse(row.errors),
    };
  }

  /** Events per source and status, with the latest arrival of each. */
  countsBySource(): Promise<
    { source: string; status: EventStatus; count: number; lastReceivedAt: string }[]
  > {
    return this.reads.countsBySource();
  }

  /** Throws when the store cannot answer; used by the readiness check. */
  ping(): Promise<void> {
    return this.events.ping();
  }
}

const summary = (
  row: Pick<EventsTable, 'id' | 'source' | 'request_id' | 'type' | 'status' | 'received_at'>,
): StoredEventSummary => ({
  id: row.id,
  source: row.source,
  requestId: row.request_id,
  type: row.type,
  status: row.status,
  receivedAt: row.received_at,
});
