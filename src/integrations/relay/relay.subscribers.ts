import { Injectable, Logger } from '@nestjs/common';
import {
  type DeliveryContext,
  InjectSettings,
  type SubscriberDefinition,
  SubscriberRegistry,
} from '../../platform/bus/index.js';
import type { WhippyEvent } from '../../platform/events/index.js';
import { RelayClient, RelayPayload } from './relay.client.js';
import { type RelayConfig, type RelayTargetConfig, relaySettings } from './relay.config.js';

const ENGINE_TIMEOUT_GRACE_MS = 1000;

/**
 * One subscriber per configured target, `relay.<name>`, routed and filtered like any other.
 * Registered in the constructor, so they exist before the engine looks for subscribers.
 */
@Injectable()
export class RelaySubscribers {
  private readonly logger = new Logger('Relay');

  constructor(registry: SubscriberRegistry, @InjectSettings(relaySettings) relay: RelayConfig) {
    for (const target of relay.targets) {
      registry.register(relayTarget(target));
      this.logger.log(`relay.${target.name} → ${new URL(target.url).origin}: ${target.events.join(', ')}`);
    }
  }
}

/** The subscriber that forwards events to one target. */
export function relayTarget(target: RelayTargetConfig): SubscriberDefinition<WhippyEvent> {
  const client = new RelayClient(target);
  return {
    id: `relay.${target.name}`,
    events: target.events,
    origin: `relay target '${target.name}'`,
    // The engine's timeout is the backstop; the client's own, a little earlier, names the URL.
    timeoutMs: target.timeoutMs + ENGINE_TIMEOUT_GRACE_MS,
    // A path, so the platform checks it against the catalog at start.
    orderBy: target.orderBy,
    handle: (event: WhippyEvent, ctx: DeliveryContext) => client.send(relayPayload(event), ctx),
  };
}

export const relayPayload = (event: WhippyEvent): RelayPayload => ({
  id: event.id,
  type: event.type,
  source: event.source,
  receivedAt: event.receivedAt.toISOString(),
  data: event.data,
});
