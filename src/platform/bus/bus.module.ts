import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InboxModule } from '../inbox/inbox.module.js';
import { StoreModule } from '../store/store.module.js';
import { DeliveryEngine } from './delivery-engine.service.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { DeliveryRepairs } from './delivery-repairs.service.js';
import { DeliveryRouter } from './delivery-router.js';
import { DeliveryRunner } from './delivery-runner.js';
import { EventCache } from './event-cache.js';
import { InProcessDeliveryQueue } from './in-process-delivery-queue.js';
import { ModuleStore } from './module-store.service.js';
import { BullmqDeliveryQueue } from './queue/bullmq-delivery-queue.js';
import { DeliveryJobHandler } from './queue/delivery-job-handler.js';
import { DeliverySweep } from './queue/delivery-sweep.service.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/**
 * Subscribers, routes and the delivery engine. Integrations import it for SubscriberRegistry
 * and ModuleStore.
 */
@Module({
  imports: [DiscoveryModule, StoreModule, InboxModule],
  providers: [
    SubscriberRegistry,
    DeliveryLeadership,
    EventCache,
    DeliveryRouter,
    DeliveryRunner,
    DeliveryRecovery,
    InProcessDeliveryQueue,
    DeliveryJobHandler,
    BullmqDeliveryQueue,
    // BullMQ on Redis when REDIS_URL is set; otherwise lanes in this process's memory.
    {
      provide: DeliveryQueue,
      inject: [BullmqDeliveryQueue, InProcessDeliveryQueue],
      useFactory: (bullmq: BullmqDeliveryQueue, inProcess: InProcessDeliveryQueue) =>
        bullmq.active ? bullmq : inProcess,
    },
    DeliveryEngine,
    DeliveryRepairs,
    ModuleStore,
    DeliverySweep,
  ],
  exports: [
    BullmqDeliveryQueue,
    SubscriberRegistry,
    DeliveryEngine,
    DeliveryQueue,
    DeliveryRouter,
    DeliveryRepairs,
    ModuleStore,
  ],
})
export class BusModule {}
