import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module.js';
import { Inbox } from './inbox.service.js';

/** The durable inbox of received events, over the store's `events` table. */
@Module({
  imports: [StoreModule],
  providers: [Inbox],
  exports: [Inbox],
})
export class InboxModule {}
