import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { openStore, Store } from './database.js';
import { DeliveriesRepository } from './deliveries.repository.js';
import { DeliveryReadsRepository } from './delivery-reads.repository.js';
import { DeliveryAttemptsRepository } from './delivery-attempts.repository.js';
import { EventReadsRepository } from './event-reads.repository.js';
import { EventsRepository } from './events.repository.js';
import { migrateToLatest } from './migrations/index.js';
import { ModuleStateRepository } from './module-state.repository.js';
import { Retention } from './retention.service.js';
import { KyselyStatementRunner, SqliteWorkerRunner, StatementRunner } from './statement-runner.js';
import { StoreWriter } from './store-writer.service.js';
import { STATEMENT_RUNNER, STORE } from './store.tokens.js';

const REPOSITORIES = [
  EventsRepository,
  EventReadsRepository,
  DeliveriesRepository,
  DeliveryReadsRepository,
  DeliveryAttemptsRepository,
  ModuleStateRepository,
];

/**
 * The database: its connection (SQLite file or PostgreSQL), migrations run when it opens, the
 * group-commit writer, and one repository per table. No other module writes SQL.
 */
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
    ...REPOSITORIES,
    Retention,
  ],
  exports: [STORE, StoreWriter, ...REPOSITORIES, Retention],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
    await this.store.db.destroy();
  }
}
