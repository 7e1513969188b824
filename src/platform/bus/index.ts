/** What integrations build on: decorate, register, fail on purpose, listen. */
export { BusModule } from './bus.module.js';
export { BUS_SIGNALS, type DeliverySignal, type EventReceivedSignal } from './bus-signals.js';
export { PermanentFailure, RetryLater } from './delivery-errors.js';
export { OnWhippyEvent, type EventSelector } from './on-whippy-event.decorator.js';
export { fieldOf } from './route-filter.js';
export { ModuleState, ModuleStore, type PutIfAbsent } from './module-store.service.js';
export { SubscriberRegistry } from './subscriber-registry.service.js';
export type { DeliveryContext, RawEvent, SubscriberDefinition, SubscriberOptions } from './subscriber.js';
export * from '../settings/index.js';
