import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdminGuard } from '../admin/admin.guard.js';
import { BusModule } from '../bus/bus.module.js';
import { InboxModule } from '../inbox/inbox.module.js';
import { StoreModule } from '../store/store.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { DeliveriesCheck } from './checks/deliveries.check.js';
import { EventTypesCheck } from './checks/event-types.check.js';
import { ReachabilityCheck } from './checks/reachability.check.js';
import { SchemaDriftCheck } from './checks/schema-drift.check.js';
import { SignaturesCheck } from './checks/signatures.check.js';
import { TrafficCheck } from './checks/traffic.check.js';
import { WhippyEndpointCheck } from './checks/whippy-endpoint.check.js';
import { DiagnosticsController } from './diagnostics.controller.js';
import { Doctor } from './doctor.service.js';
import { EventLog } from './event-log.listener.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.service.js';
import { RequestLog } from './request-log.js';

/** Health, `GET /metrics`, the request and event logs' lines, and the doctor (`GET /admin/api/diagnostics`). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), InboxModule, StoreModule, BusModule, WebhooksModule],
  controllers: [HealthController, MetricsController, DiagnosticsController],
  providers: [
    Metrics,
    EventLog,
    RequestLog,
    AdminGuard,
    Doctor,
    TrafficCheck,
    ReachabilityCheck,
    SignaturesCheck,
    EventTypesCheck,
    DeliveriesCheck,
    SchemaDriftCheck,
    WhippyEndpointCheck,
  ],
  exports: [Metrics, Doctor],
})
export class ObservabilityModule {}
