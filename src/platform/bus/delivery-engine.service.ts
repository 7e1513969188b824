import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { DeliveriesTable } from '../inbox/database.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { DeliveryRouter } from './delivery-router.js';
import { DeliveryRepository, DeliveryView } from './delivery.repository.js';
import { retrying } from './persist.js';
import type { RouteTable } from './route-table.js';

/**
 * The bus as the rest of the platform sees it: starts routing (and classifies what a stop left
 * unclassified), and shows deliveries as the admin API does. The work itself is split:
 * DeliveryRouter (event → delivery rows), the DeliveryQueue port (what moves work; in-process
 * lanes by default), DeliveryRunner (one attempt), DeliveryRecovery (after a restart) and
 * DeliveryRepairs (replay, retry, redrive, backfill).
 */
@Injectable()
export class DeliveryEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Delivery');
  private readonly stopping = new AbortController();

  constructor(
    private readonly router: DeliveryRouter,
    private readonly recovery: DeliveryRecovery,
    private readonly repository: DeliveryRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.router.start();
    // In the background: a store that refuses writes at boot must not stop the start.
    void retrying('classifying stored events', () => this.recovery.classifyPending(), {
      signal: this.stopping.signal,
      warn: (message) => this.logger.warn(message),
    });
  }

  beforeApplicationShutdown(): void {
    this.stopping.abort(new Error('the service is stopping'));
    this.router.stop();
  }

  get routeTable(): RouteTable {
    return this.router.routeTable;
  }

  /** Whether a subscriber of this id exists. */
  knows(subscriberId: string): boolean {
    return this.router.knows(subscriberId);
  }

  /** Deliveries as the admin API shows them, with what an ordered one waits for. */
  views(rows: DeliveriesTable[]): Promise<DeliveryView[]> {
    return this.repository.views(rows, (id) => this.router.ordering(id)?.onDead === 'hold');
  }

  /** The views with each delivery's attempt history (the last HISTORY_LIMIT, oldest first). */
  async detailed(rows: DeliveriesTable[]): Promise<DeliveryView[]> {
    const [views, history] = await Promise.all([
      this.views(rows),
      this.repository.history(rows.map((row) => row.id)),
    ]);
    return views.map((view) => ({ ...view, history: history.get(view.id) ?? [] }));
  }
}
