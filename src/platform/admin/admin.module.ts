import { Module } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { AdminGuard } from './admin.guard.js';
import { EventsController } from './events.controller.js';

/** `/admin/api`: what was received, what failed verification. */
@Module({
  imports: [InboxModule, WebhooksModule],
  controllers: [EventsController],
  providers: [AdminGuard],
})
export class AdminModule {}
