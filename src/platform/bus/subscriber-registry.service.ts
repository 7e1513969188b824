import { Injectable, Logger } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { missingSettings } from '../settings/setting.decorators.js';
import type { SubscriberDefinition } from './subscriber.js';
import { WhippyEventHandler } from './on-whippy-event.decorator.js';

/** Two subscribers claim one id; the start stops. */
export class DuplicateSubscriberError extends Error {
  constructor(id: string, first: string, second: string) {
    super(`subscriber id '${id}' is used twice: by ${first} and by ${second}; give one of them another id`);
    this.name = 'DuplicateSubscriberError';
  }
}

/**
 * Every subscriber of the service: the methods carrying `@OnWhippyEvent(...)`, found with
 * Nest's DiscoveryService, and those registered in code (one per relay target, say).
 */
@Injectable()
export class SubscriberRegistry {
  private readonly logger = new Logger('Subscribers');
  private readonly registered = new Map<string, SubscriberDefinition>();
  private readonly unavailable = new Map<string, string>();
  private discovered?: Map<string, SubscriberDefinition>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** Adds a subscriber defined in code; call it from a provider's constructor or onModuleInit. */
  register<E>(definition: SubscriberDefinition<E>): void {
    const existing = this.registered.get(definition.id);
    if (existing)
      throw new DuplicateSubscriberError(definition.id, existing.origin ?? '?', definition.origin ?? '?');
    this.registered.set(definition.id, definition as SubscriberDefinition);
  }

  /**
   * Off until configured: while a credential of `settings` is missing, the subscribers `ids`
   * stay disabled, listed with the reason (`HUBSPOT_TOKEN is not set`), and a route that
   * enables one stops the start. Call it from the subscribers' constructor.
   */
  requireSettings(ids: readonly string[], settings: object): void {
    const missing = missingSettings(settings);
    if (missing.length === 0) return;
    for (const id of ids) this.unavailable.set(id, missing.join('; '));
  }

  /** All subscribers, by id; discovery runs once, after every module is initialised. */
  all(): Map<string, SubscriberDefinition> {
    if (!this.discovered) this.discovered = this.discover();
    return this.discovered;
  }

  private discover(): Map<string, SubscriberDefinition> {
    const found = new Map<string, SubscriberDefinition>(this.registered);
    for (const wrapper of this.discovery.getProviders()) {
      const { instance } = wrapper;
      // Aliases, factories' plain values and request-scoped providers have no methods to scan.
      if (!instance || typeof instance !== 'object' || wrapper.isAlias || !wrapper.isDependencyTreeStatic())
        continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const metadata = this.discovery.getMetadataByDecorator(WhippyEventHandler, wrapper, method);
        if (!metadata) continue;
        const origin = `${instance.constructor.name}.${method}`;
        const id = metadata.options.id ?? origin;
        const existing = found.get(id);
        if (existing) throw new DuplicateSubscriberError(id, existing.origin ?? '?', origin);
        const handler = (instance as Record<string, (...args: unknown[]) => unknown>)[method];
        found.set(id, {
          ...metadata.options,
          id,
          events: metadata.events,
          origin,
          handle: async (event, context) => {
            await handler.call(instance, event, context);
          },
        });
      }
    }
    for (const [id, reason] of this.unavailable) {
      const subscriber = found.get(id);
      if (!subscriber) throw new Error(`requireSettings names ${id}, which is no subscriber`);
      found.set(id, { ...subscriber, unavailable: reason });
      this.logger.log(`${id} is off: ${reason}`);
    }
    this.logger.debug(`${found.size} subscriber(s): ${[...found.keys()].join(', ')}`);
    return found;
  }
}
