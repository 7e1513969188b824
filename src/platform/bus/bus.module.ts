import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InboxModule } from '../inbox/inbox.module.js';
import { DeliveryEngine } from './delivery-engine.service.js';
import { DeliveryRepository } from './delivery.repository.js';
import { ModuleStore } from './module-store.service.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/**
 * Subscribers, routes and the delivery engine. Integrations import it for SubscriberRegistry
 * and ModuleStore.
 */
@Module({
  imports: [DiscoveryModule, InboxModule],
  providers: [SubscriberRegistry, DeliveryRepository, DeliveryEngine, ModuleStore],
  exports: [SubscriberRegistry, DeliveryEngine, DeliveryRepository, ModuleStore],
})
export class BusModule {}
