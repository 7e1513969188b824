import { Injectable } from '@nestjs/common';
import type { DeliveriesTable } from '../store/database.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { EventsRepository } from '../store/events.repository.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { eventTypeMatches } from '../events/index.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DeliveryRouter } from './delivery-router.js';
import { toIncoming } from './delivery-rows.js';
import { DeliveryView, toView } from './delivery-view.js';
import {
  DeliveryNotFound,
  EventNotFound,
  RepairConflict,
  ReplayNotAllowed,
  UnknownSubscriber,
} from './repair-errors.js';

const PAGE = 500;

/** Received order: event, then delivery. */
const receivedOrder = (a: DeliveriesTable, b: DeliveriesTable): number =>
  a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The operator's repairs: replay, retry, redrive, backfill. Each claims what it runs again
 * with a conditional write in the store (only what is still failed or dead, only events
 * without a delivery for that subscriber), so repairs fired together, or repeated, never run
 * one delivery twice.
 */
@Injectable()
export class DeliveryRepairs {
  constructor(
    private readonly router: DeliveryRouter,
    private readonly queue: DeliveryQueue,
    private readonly deliveries: DeliveriesRepository,
    private readonly stored: EventsRepository,
    private readonly writer: StoreWriter,
  ) {}

  /**
   * New deliveries of a stored event: to every subscriber its route selects, or to the named
   * ones. A replay delivers again on purpose, so each call makes new deliveries.
   */
  async replay(eventId: string, subscriberIds?: string[]): Promise<DeliveryView[]> {
    const [row] = await this.stored.forClassification({ ids: [eventId], limit: 1 });
    if (!row) throw new EventNotFound(eventId);
    const routes = this.router.routeTable;
    const only = subscriberIds?.map((id) => {
      const route = routes.route(id);
      if (!route)
        throw new ReplayNotAllowed(
          'unknown_subscriber',
          `no subscriber ${id} (known: ${routes
            .subscribers()
            .map((s) => s.id)
            .join(', ')})`,
        );
      // A module without its credentials cannot deliver: the replay would only go dead.
      if (route.subscriber.unavailable)
        throw new RepairConflict('subscriber_disabled', `${id} is off: ${route.subscriber.unavailable}`);
      // What the code declares, not what this environment narrowed it to: the operator asked for it.
      if (!route.subscriber.events.some((pattern) => eventTypeMatches(pattern, row.type))) {
        throw new ReplayNotAllowed('not_subscribed', `${id} does not subscribe to ${row.type}`);
      }
      return route.subscriber;
    });
    const outcome = this.router.classify(toIncoming(row), only, false);
    if (outcome.rows.length === 0) {
      await this.writer.write(outcome.statements);
      const [event] = await this.stored.forClassification({ ids: [eventId], limit: 1 });
      throw new RepairConflict('not_delivered', `event ${eventId} is ${event.status}: nothing to deliver`, {
        status: event.status,
      });
    }
    const made = await this.router.commit(outcome);
    return made.map(toView);
  }

  /** Runs a failed or dead delivery again now, with a fresh attempt budget. */
  async retry(deliveryId: string): Promise<DeliveryView> {
    const row = await this.deliveries.get(deliveryId);
    if (!row) throw new DeliveryNotFound(deliveryId);
    if (!this.router.knows(row.subscriber_id))
      throw new RepairConflict('unknown_subscriber', `subscriber ${row.subscriber_id} no longer exists`);
    const [claimed] = await this.claim([row.id]);
    if (!claimed) {
      const now = await this.deliveries.get(deliveryId);
      throw new RepairConflict('not_retryable', `delivery ${deliveryId} is ${now?.status ?? row.status}`);
    }
    await this.queue.dispatch([claimed]);
    return toView(claimed);
  }

  /**
   * Every dead delivery of a subscriber, again, in received order. Redrives running together
   * share the work: each counts the deliveries it claimed.
   */
  async redrive(subscriberId: string): Promise<{ redriven: number }> {
    if (!this.router.knows(subscriberId)) throw new UnknownSubscriber(subscriberId);
    let redriven = 0;
    let after: { eventId: string; id: string } | undefined;
    for (;;) {
      const rows = await this.deliveries.dead(subscriberId, after, PAGE);
      if (rows.length === 0) return { redriven };
      const last = rows[rows.length - 1];
      after = { eventId: last.event_id, id: last.id };
      const claimed = await this.claim(rows.map((r) => r.id));
      await this.queue.dispatch(claimed.sort(receivedOrder));
      redriven += claimed.length;
    }
  }

  /**
   * Delivers to one subscriber the stored events of a time range that its route selects and
   * that it has not had yet: how a new integration catches up. `dryRun` only counts.
   */
  async backfill(
    subscriberId: string,
    range: { since?: string; until?: string; dryRun: boolean },
  ): Promise<{ matched: number; created: number; dryRun: boolean }> {
    const route = this.router.routeTable.route(subscriberId);
    if (!route) throw new UnknownSubscriber(subscriberId);
    if (!route.enabled)
      throw new RepairConflict(
        'subscriber_disabled',
        `${subscriberId} is disabled in this environment (subscribers.${subscriberId}.enabled: false); enable it first, then backfill`,
      );
    let after: string | undefined;
    let matched = 0;
    let created = 0;
    for (;;) {
      const rows = await this.stored.forClassification({
        statuses: ['routed', 'unrouted'],
        types: [...route.types],
        since: range.since,
        until: range.until,
        after,
        limit: PAGE,
      });
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      const done = await this.deliveries.delivered(
        subscriberId,
        rows.map((row) => row.id),
      );
      for (const row of rows) {
        if (done.has(row.id)) continue;
        const incoming = toIncoming(row);
        if (
          !incoming.data ||
          route.filter?.({ type: incoming.type, source: incoming.source, data: incoming.data })
        )
          continue;
        matched++;
        // Another backfill may make it first: the store keeps one delivery per event and subscriber.
        if (!range.dryRun)
          created += (await this.router.commit(this.router.classify(incoming, [route.subscriber]))).length;
      }
    }
    return { matched, created, dryRun: range.dryRun };
  }

  /** Failed or dead deliveries back to pending; returns those this call claimed. */
  private async claim(ids: string[]): Promise<DeliveriesTable[]> {
    const [rows] = await this.writer.write([this.deliveries.claimForRepair(ids)]);
    return rows as DeliveriesTable[];
  }
}
