/**
 * Why a repair (replay, retry, redrive, backfill) cannot be done. The engine throws these; the
 * HTTP edge turns each into its status and `{"error": code, "message"}` body.
 */
export abstract class RepairError extends Error {
  /** The wire error code, e.g. `not_found`. */
  abstract readonly code: string;

  constructor(
    message: string,
    /** More fields for the answer (e.g. the event's status). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class EventNotFound extends RepairError {
  readonly code = 'not_found';
  constructor(eventId: string) {
    super(`no event ${eventId}`);
  }
}

export class DeliveryNotFound extends RepairError {
  readonly code = 'not_found';
  constructor(deliveryId: string) {
    super(`no delivery ${deliveryId}`);
  }
}

/** The subscriber a redrive or backfill names does not exist. */
export class UnknownSubscriber extends RepairError {
  readonly code = 'unknown_subscriber';
  constructor(subscriberId: string) {
    super(`no subscriber ${subscriberId}`);
  }
}

/** A replay asked for a subscriber that does not exist or does not take the event's type. */
export class ReplayNotAllowed extends RepairError {
  constructor(
    readonly code: 'unknown_subscriber' | 'not_subscribed',
    message: string,
  ) {
    super(message);
  }
}

/** The repair conflicts with the state of the event or delivery (nothing to deliver, not retryable). */
export class RepairConflict extends RepairError {
  constructor(
    readonly code: 'not_delivered' | 'not_retryable' | 'unknown_subscriber' | 'subscriber_disabled',
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}
