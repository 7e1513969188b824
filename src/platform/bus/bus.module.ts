import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InboxModule } from '../inbox/inbox.module.js';
import { DeliveryEngine } from './delivery-engine.service.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryRepairs } from './delivery-repairs.service.js';
import { DeliveryStats } from './delivery-stats.repository.js';
import { DeliveryRepository } from './delivery.repository.js';
import { ModuleStore } from './module-store.service.js';
import { BullmqDeliveryQueue } from './queue/bullmq-delivery-queue.js';
import { DeliverySweep } from './queue/delivery-sweep.service.js';
import { QueuedDeliveries } from './queue/queued-deliveries.repository.js';
import { QueuedDeliveryRunner } from './queue/queued-delivery.runner.js';
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
    DeliveryEngine,
    DeliveryRepairs,
    DeliveryStats,
    ModuleStore,
    QueuedDeliveries,
    QueuedDeliveryRunner,
    BullmqDeliveryQueue,
    DeliverySweep,
  ],
  exports: [
    BullmqDeliveryQueue,
    SubscriberRegistry,
    DeliveryEngine,
    DeliveryRepository,
    DeliveryRepairs,
    DeliveryStats,
    ModuleStore,
  ],
})
export class BusModule {}
