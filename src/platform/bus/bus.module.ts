import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InboxModule } from '../inbox/inbox.module.js';
import { DeliveryEngine } from './delivery-engine.service.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { DeliveryRepairs } from './delivery-repairs.service.js';
import { DeliveryRouter } from './delivery-router.js';
import { DeliveryRunner } from './delivery-runner.js';
import { EventCache } from './event-cache.js';
import { InProcessDeliveryQueue } from './in-process-delivery-queue.js';
import { DeliveryStats } from './delivery-stats.repository.js';
import { DeliveryRepository } from './delivery.repository.js';
import { ModuleStore } from './module-store.service.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/**
 * Subscribers, routes and the delivery engine. Integrations import it for SubscriberRegistry
 * and ModuleStore.
 */
@Module({
  imports: [DiscoveryModule, InboxModule],
  providers: [
    SubscriberRegistry,
    DeliveryRepository,
    DeliveryLeadership,
    EventCache,
    DeliveryRouter,
    DeliveryRunner,
    DeliveryRecovery,
    InProcessDeliveryQueue,
    // The BullMQ adapter replaces this binding when REDIS_URL is set.
    { provide: DeliveryQueue, useExisting: InProcessDeliveryQueue },
    DeliveryEngine,
    DeliveryRepairs,
    DeliveryStats,
    ModuleStore,
  ],
  exports: [
    SubscriberRegistry,
    DeliveryEngine,
    DeliveryQueue,
    DeliveryRouter,
    DeliveryRepository,
    DeliveryRepairs,
    DeliveryStats,
    ModuleStore,
  ],
})
export class BusModule {}
