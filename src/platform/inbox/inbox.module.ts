import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { openStore, Store } from './database.js';
import { EventStats } from './event-stats.repository.js';
import { Inbox } from './inbox.service.js';
import { Retention } from './retention.service.js';
import { STATEMENT_RUNNER, STORE } from './inbox.tokens.js';
import { KyselyStatementRunner, SqliteWorkerRunner, StatementRunner } from './statement-runner.js';
import { StoreWriter } from './store-writer.service.js';
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
      provide: STATEMENT_RUNNER,
      inject: [STORE],
      useFactory: (store: Store): StatementRunner =>
        store.file ? new SqliteWorkerRunner(store.file) : new KyselyStatementRunner(store.db),
    },
    StoreWriter,
    Inbox,
    EventStats,
    Retention,
  ],
  exports: [Inbox, STORE, StoreWriter, EventStats, Retention],
})
export class InboxModule implements OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
    await this.store.db.destroy();
  }
}
