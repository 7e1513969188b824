import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { DeliveriesTable } from '../store/database.js';
import { DeliveryRecovery } from './delivery-recovery.js';
import { DeliveryRouter } from './delivery-router.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryAttemptsRepository } from '../store/delivery-attempts.repository.js';
import { DeliveryView, HISTORY_LIMIT, toAttemptView, toView } from './delivery-view.js';
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
    private readonly deliveries: DeliveriesRepository,
    private readonly attempts: DeliveryAttemptsRepository,
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
    return Promise.all(
      rows.map(async (row) => {
        const view = toView(row);
        if ((row.status !== 'pending' && row.status !== 'failed') || row.order_key === null) return view;
        const withDead = this.router.ordering(row.subscriber_id)?.onDead === 'hold';
        const [head] = await this.deliveries.olderOfKey({ ...row, order_key: row.order_key }, withDead, 1);
        return head ? { ...view, waitingFor: head.id, reason: `waiting for ${head.id}` } : view;
      }),
    );
  }

  /** The views with each delivery's attempt history (the last HISTORY_LIMIT, oldest first). */
  async detailed(rows: DeliveriesTable[]): Promise<DeliveryView[]> {
    const [views, history] = await Promise.all([
      this.views(rows),
      this.attempts.history(
        rows.map((row) => row.id),
        HISTORY_LIMIT,
      ),
    ]);
    return views.map((view) => ({ ...view, history: (history.get(view.id) ?? []).map(toAttemptView) }));
  }
}
