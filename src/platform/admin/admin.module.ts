import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { InboxModule } from '../inbox/inbox.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { BusModule } from '../bus/bus.module.js';
import { StoreModule } from '../store/store.module.js';
import { AdminAccess } from './admin-access.js';
import { AdminDocs } from './admin-docs.js';
import { AdminBodyMiddleware } from './admin-body.middleware.js';
import { AdminGuard } from './admin.guard.js';
import { DeliveryController } from './delivery.controller.js';
import { EventsController } from './events.controller.js';
import { AdminPageModule } from './page/admin-page.module.js';
import { SourcesController } from './sources.controller.js';

/** `/admin/api`: what was received, what failed verification, what was delivered, and repairs. */
@Module({
  imports: [InboxModule, StoreModule, WebhooksModule, BusModule, AdminPageModule],
  controllers: [EventsController, DeliveryController, SourcesController],
  providers: [AdminAccess, AdminGuard, AdminDocs],
  exports: [AdminAccess, AdminGuard],
})
export class AdminModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // One pattern for `/admin/api` and everything under it: one router layer that every other
    // request (above all a webhook) is matched against, instead of two.
    consumer.apply(AdminBodyMiddleware).forRoutes({ path: 'admin/api{/*path}', method: RequestMethod.ALL });
  }
}
