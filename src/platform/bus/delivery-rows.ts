import type { IncomingEvent } from '../inbox/event-classifier.js';
import type { Job } from './delivery-lane.js';
import type { QueuedDelivery } from './delivery-queue.js';

/** A stored event on its way to classification: the shape the inbox classifies at ingest. */
export type Incoming = IncomingEvent;

export function toIncoming(row: {
  id: string;
  source: string;
  request_id: string;
  type: string;
  raw_body: Buffer | Uint8Array;
  received_at: string;
}): Incoming {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(Buffer.from(row.raw_body).toString('utf8')).data;
  } catch {
    data = undefined as unknown as Record<string, unknown>;
  }
  return {
    id: row.id,
    source: row.source,
    requestId: row.request_id,
    type: row.type,
    receivedAt: row.received_at,
    data,
  };
}

export function fromRow(row: QueuedDelivery): Job {
  return {
    id: row.id,
    eventId: row.event_id,
    subscriberId: row.subscriber_id,
    attempts: row.attempts,
    throttles: row.throttles,
    orderKey: row.order_key,
    dueAt: row.status === 'failed' && row.next_attempt_at ? Date.parse(row.next_attempt_at) : Date.now(),
    lastError: row.last_error,
  };
}
