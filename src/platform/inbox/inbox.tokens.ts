/** Injection token of the opened Store (Kysely instance and dialect). */
export const STORE = Symbol('switchyard.store');

/** Injection token of the EventWriter that commits batches of new events. */
export const EVENT_WRITER = Symbol('switchyard.event-writer');
