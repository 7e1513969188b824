import { Injectable, Module } from '@nestjs/common';
import { DeliveryContext, OnWhippyEvent } from '../../src/platform/bus/index.js';
import { MessageCreated, MessageUpdated, WhippyEvent } from '../../src/platform/events/index.js';

export interface ProbeCall {
  subscriber: string;
  eventId: string;
  type: string;
  attempt: number;
  idempotencyKey: string;
  event: WhippyEvent;
  startedAt: number;
  endedAt?: number;
  aborted?: boolean;
}

type Behaviour = (event: WhippyEvent, context: DeliveryContext) => Promise<void> | void;

/** What the test subscribers saw, and what each of them does when called (default: succeed). */
@Injectable()
export class Probe {
  readonly calls: ProbeCall[] = [];
  private readonly behaviours = new Map<string, Behaviour>();

  on(subscriber: string, behaviour: Behaviour): void {
    this.behaviours.set(subscriber, behaviour);
  }

  of(subscriber: string): ProbeCall[] {
    return this.calls.filter((call) => call.subscriber === subscriber);
  }

  async handle(subscriber: string, event: WhippyEvent, context: DeliveryContext): Promise<void> {
    const call: ProbeCall = {
      subscriber,
      eventId: context.eventId,
      type: event.type,
      attempt: context.attempt,
      idempotencyKey: context.idempotencyKey,
      event,
      startedAt: Date.now(),
    };
    this.calls.push(call);
    context.signal.addEventListener('abort', () => (call.aborted = true));
    try {
      await this.behaviours.get(subscriber)?.(event, context);
    } finally {
      call.endedAt = Date.now();
    }
  }
}

/** Subscribers as a company's module would write them, each handing over to the Probe. */
@Injectable()
export class ProbeSubscribers {
  constructor(private readonly probe: Probe) {}

  @OnWhippyEvent(MessageCreated, { id: 'test.steady' })
  steady(event: MessageCreated, context: DeliveryContext) {
    return this.probe.handle('test.steady', event, context);
  }

  @OnWhippyEvent(MessageCreated, { id: 'test.flaky', timeoutMs: 300 })
  flaky(event: MessageCreated, context: DeliveryContext) {
    return this.probe.handle('test.flaky', event, context);
  }

  @OnWhippyEvent('contact.*', { id: 'test.contacts' })
  contacts(event: WhippyEvent, context: DeliveryContext) {
    return this.probe.handle('test.contacts', event, context);
  }

  @OnWhippyEvent('*', { id: 'test.everything' })
  everything(event: WhippyEvent, context: DeliveryContext) {
    return this.probe.handle('test.everything', event, context);
  }

  @OnWhippyEvent(MessageCreated, MessageUpdated, {
    id: 'test.ordered',
    orderBy: (event: MessageCreated | MessageUpdated) => event.data.contactId,
  })
  ordered(event: MessageCreated | MessageUpdated, context: DeliveryContext) {
    return this.probe.handle('test.ordered', event, context);
  }

  /** Default id: <ClassName>.<method>. */
  @OnWhippyEvent('conversation.created')
  onConversationCreated(event: WhippyEvent, context: DeliveryContext) {
    return this.probe.handle('ProbeSubscribers.onConversationCreated', event, context);
  }
}

@Module({ providers: [Probe, ProbeSubscribers], exports: [Probe] })
export class ProbeModule {}

/** Two subscribers claiming one id: the start must stop. */
@Injectable()
export class ClashingSubscribers {
  @OnWhippyEvent(MessageCreated, { id: 'test.clash' })
  first() {}

  @OnWhippyEvent(MessageUpdated, { id: 'test.clash' })
  second() {}
}

@Module({ providers: [ClashingSubscribers] })
export class ClashingModule {}

/**
 * Subscribers for the delivery-hardening suites, kept out of ProbeModule so that the other
 * suites' lists of deliveries stay as they are. Behaviours are set on the shared Probe.
 */
@Injectable()
export class HardeningSubscribers {
  constructor(private readonly probe: Probe) {}

  /** Its handler may ignore ctx.signal; a short timeout shows what the engine does then. */
  @OnWhippyEvent(MessageCreated, { id: 'test.stubborn', timeoutMs: 100 })
  stubborn(event: MessageCreated, context: DeliveryContext) {
    return this.probe.handle('test.stubborn', event, context);
  }

  /** A dead delivery holds its contact's later ones back until it is retried. */
  @OnWhippyEvent(MessageCreated, { id: 'test.held', orderBy: { key: 'data.contact_id', onDead: 'hold' } })
  held(event: MessageCreated, context: DeliveryContext) {
    return this.probe.handle('test.held', event, context);
  }

  /** A function key that returns an object: not a key at all. */
  @OnWhippyEvent(MessageCreated, {
    id: 'test.object-key',
    orderBy: (event) => ({ contact: event.data.contactId }),
  })
  objectKey(event: MessageCreated, context: DeliveryContext) {
    return this.probe.handle('test.object-key', event, context);
  }
}

@Module({ providers: [Probe, ProbeSubscribers, HardeningSubscribers], exports: [Probe] })
export class HardeningProbeModule {}
