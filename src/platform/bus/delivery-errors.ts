/** Thrown by a handler: the delivery is dead at once, without further attempts. */
export class PermanentFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

/** Thrown by a handler: try again after `delayMs` (e.g. a 429 with Retry-After). */
export class RetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message = `retry requested in ${delayMs} ms`,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}
