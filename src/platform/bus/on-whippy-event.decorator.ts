import { DiscoveryService } from '@nestjs/core';
import type { SubscriberOptions } from './subscriber.js';

/** An event class of the catalog (it carries its Whippy type) or a pattern such as `'message.*'`. */
export type EventSelector = { readonly type: string } | string;

export interface OnWhippyEventMetadata {
  events: string[];
  options: SubscriberOptions;
}

/** The metadata `@OnWhippyEvent` leaves on a method; read back by the explorer. */
export const WhippyEventHandler = DiscoveryService.createDecorator<OnWhippyEventMetadata>();

/** The instance type of the selected event classes; a pattern selects any event. */
type SelectedEvent<S> = S extends abstract new (...args: never[]) => infer E ? E : unknown;

/**
 * Makes a provider method a subscriber: it receives every matching event, typed and
 * validated, at least once, through the delivery engine.
 *
 * ```ts
 * @OnWhippyEvent(MessageCreated, MessageUpdated, { id: 'crm.timeline', orderBy: (e) => e.data.contactId })
 * async record(event: MessageCreated | MessageUpdated, ctx: DeliveryContext) { … }
 * ```
 *
 * @param selectors event classes, exact types, `'<resource>.*'` or `'*'`; an options object
 *   may come last (its `orderBy` receives the selected classes' events).
 */
export function OnWhippyEvent<const S extends EventSelector[]>(...selectors: S): MethodDecorator;
export function OnWhippyEvent<const S extends EventSelector[]>(
  ...selectors: [...S, SubscriberOptions<SelectedEvent<S[number]>>]
): MethodDecorator;
export function OnWhippyEvent(...selectors: (EventSelector | SubscriberOptions)[]): MethodDecorator {
  const last = selectors[selectors.length - 1];
  const hasOptions = typeof last === 'object' && last !== null;
  const options = (hasOptions ? last : {}) as SubscriberOptions;
  const events = (hasOptions ? selectors.slice(0, -1) : selectors).map((selector) =>
    typeof selector === 'string' ? selector : (selector as { type: string }).type,
  );
  return WhippyEventHandler({ events, options });
}
