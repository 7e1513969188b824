/**
 * What the platform announces on `@nestjs/event-emitter`: metrics, the live log and alerting
 * listen with `@OnEvent(BUS_SIGNALS.deadLettered)` and the like.
 */
export const BUS_SIGNALS = {
  eventReceived: 'switchyard.event.received',
  delivered: 'switchyard.delivery.succeeded',
  failed: 'switchyard.delivery.failed',
  deadLettered: 'switchyard.delivery.dead',
} as const;

/** A new (not duplicate) event was committed; `data` is the envelope's data as received. */
export interface EventReceivedSignal {
  id: string;
  source: string;
  requestId: string;
  type: string;
  status: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

export interface DeliverySignal {
  deliveryId: string;
  eventId: string;
  /** The event's type (`message.created`), when the event could be read. */
  eventType?: string;
  subscriberId: string;
  attempt: number;
  error: string | null;
  nextAttemptAt?: string;
  /** Attempts so far that ended throttled (the receiver asked to slow down). */
  throttles?: number;
  /** How long this attempt's handler ran; absent when no handler ran (the event was missing). */
  seconds?: number;
}
