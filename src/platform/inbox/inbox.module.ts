import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { openStore, Store } from './database.js';
import { Inbox } from './inbox.service.js';
import { STORE } from './inbox.tokens.js';
import { migrateToLatest } from './migrations/index.js';

/** The durable store of received events; migrations run when it opens. */
@Module({
  providers: [
    {
      provide: STORE,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AppConfig, true>): Promise<Store> => {
        const store = openStore(config.get('store', { infer: true }));
        const applied = await migrateToLatest(store.db, store.dialect);
        const logger = new Logger('Store');
        logger.log(
          `${store.dialect} store at ${store.location}${applied.length ? `; migrated: ${applied.join(', ')}` : ''}`,
        );
        return store;
      },
    },
    Inbox,
  ],
  exports: [Inbox, STORE],
})
export class InboxModule implements OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly inbox: Inbox,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.inbox.drain();
    await this.store.db.destroy();
  }
}
