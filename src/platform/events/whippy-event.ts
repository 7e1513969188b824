import type { WhippyObjectClass } from './whippy-fields.js';

/** What every event carries besides its data: where it came from and when. */
export interface WhippyEventInit<TData> {
  /** The stored event's id (the inbox's, not Whippy's). */
  readonly id: string;
  /** The configured source it arrived on, e.g. `whippy`. */
  readonly source: string;
  /** Whippy's `request_id`: unique per event, the dedupe key. */
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly data: TData;
}

/**
 * A Whippy webhook event, typed. Each catalog class (`MessageCreated`, `ContactUpdated`, …)
 * names its Whippy type in `static type` and its data's class in `static dataClass`; an
 * instance's `type` is always its class's.
 */
export abstract class WhippyEvent<TData = unknown> {
  readonly id: string;
  /** The Whippy event type, e.g. `message.created`. */
  readonly type: string;
  readonly source: string;
  readonly requestId: string;
  readonly receivedAt: Date;
  readonly data: TData;

  /** `type` is read from the class; only {@link UnknownWhippyEvent} passes its own. */
  constructor(init: WhippyEventInit<TData>, type?: string) {
    this.id = init.id;
    this.type = type ?? (new.target as unknown as { readonly type: string }).type;
    this.source = init.source;
    this.requestId = init.requestId;
    this.receivedAt = init.receivedAt;
    this.data = init.data;
  }
}

/** A catalog class: `@OnWhippyEvent(MessageCreated)` and `eventClassFor()` deal in these. */
export interface EventClass<E extends WhippyEvent = WhippyEvent> {
  /** The Whippy event type, e.g. `message.created`. */
  readonly type: string;
  /** The class `data` is built into. */
  readonly dataClass: WhippyObjectClass;
  readonly name: string;
  /** `never`: each class takes its own data type; only `dataClass` instances fit. */
  new (init: WhippyEventInit<never>): E;
}

/**
 * An event of a type the catalog does not know (Whippy added one without notice). `data` is
 * the object exactly as received: nothing is validated or renamed.
 */
export class UnknownWhippyEvent extends WhippyEvent<Record<string, unknown>> {
  constructor(init: WhippyEventInit<Record<string, unknown>> & { readonly type: string }) {
    super(init, init.type);
  }
}
