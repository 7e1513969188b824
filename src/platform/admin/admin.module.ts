import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { BusModule } from '../bus/bus.module.js';
import { AdminGuard } from './admin.guard.js';
import { DeliveryController } from './delivery.controller.js';
import { EventsController } from './events.controller.js';
import { AdminPageModule } from './page/admin-page.module.js';

/** `/admin/api`: what was received, what failed verification, what was delivered, and repairs. */
@Module({
  imports: [InboxModule, WebhooksModule, BusModule, AdminPageModule],
  controllers: [EventsController, DeliveryController],
  providers: [AdminGuard],
})
export class AdminModule {}
