import { AsyncResource } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import type { DeliveriesTable } from '../store/database.js';
import type { DeliveriesRepository } from '../store/deliveries.repository.js';
import type { Classification, EventClassifier, IncomingEvent } from '../inbox/event-classifier.js';
import type { DeliveryRouter } from './delivery-router.js';
import type { EventCache } from './event-cache.js';
import { describe } from './retry-policy.js';

/**
 * Classifies a new event before the inbox commits it, so the event row (with its final
 * status) and its delivery rows are one commit. The deliveries reach the queue after that
 * commit, and only when the event was new: a duplicate's inserts all do nothing.
 */
export class IngestClassifier implements EventClassifier {
  private readonly logger = new Logger('Delivery');

  constructor(
    private readonly router: DeliveryRouter,
    private readonly deliveries: DeliveriesRepository,
    private readonly events: EventCache,
  ) {}

  classify(event: IncomingEvent): Classification {
    const { status, errors, rows, parsed } = this.router.route(event);
    return {
      status,
      errors,
      statements: rows.map((row) => this.deliveries.insertForNewEvent(row)),
      committed: (results) => {
        if (parsed) this.events.put(event.id, parsed);
        if (rows.length === 0) return;
        const inserted = rows.filter((_, i) => (results[i] ?? []).length > 0);
        this.dispatch(inserted);
      },
    };
  }

  /**
   * Outside the webhook request's async context (bound when the router starts), so deliveries
   * neither log as part of that request nor keep its context alive; the answer does not wait.
   */
  private readonly dispatch = AsyncResource.bind((rows: DeliveriesTable[]) => {
    this.router
      .dispatchFresh(() => rows)
      .catch((error: unknown) => {
        // The rows are committed (pending): the queue finds them in the store as it does after a restart.
        this.logger.warn(`handing new deliveries to the queue failed: ${describe(error)}`);
      });
  });
}
