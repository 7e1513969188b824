import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { openStore, Store } from './database.js';
import { Inbox } from './inbox.service.js';
import { EventWriter, KyselyEventWriter } from './event-writer.js';
import { EVENT_WRITER, STORE } from './inbox.tokens.js';
import { SqliteWorkerWriter } from './sqlite-worker.writer.js';
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
    {
      provide: EVENT_WRITER,
      inject: [STORE],
      useFactory: (store: Store): EventWriter =>
        store.file ? new SqliteWorkerWriter(store.db, store.file) : new KyselyEventWriter(store.db),
    },
    Inbox,
  ],
  exports: [Inbox, STORE],
})
export class InboxModule implements OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly inbox: Inbox,
    @Inject(EVENT_WRITER) private readonly writer: EventWriter,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.inbox.drain();
    await this.writer.close();
    await this.store.db.destroy();
  }
}
