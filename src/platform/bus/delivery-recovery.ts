import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import type { DeliveriesTable, EventStatus } from '../store/database.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryAttemptsRepository } from '../store/delivery-attempts.repository.js';
import { EventsRepository } from '../store/events.repository.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { fromRow, toIncoming } from './delivery-rows.js';
import { DeliveryRouter } from './delivery-router.js';
import { DeliveryRunner } from './delivery-runner.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';

/** Rows read from the store at a time. */
const PAGE = 500;
/** A delivery cut off by the process stopping this many times already is dead at the next start. */
export const MAX_INTERRUPTIONS = 2;

/**
 * What a start (or a process taking over deliveries) finds unfinished: deliveries a stop cut
 * off are counted (past MAX_INTERRUPTIONS they are dead, so a delivery that crashes the
 * process cannot do it on every start), and stored events that were never classified (a stop,
 * a store that refused writes) or were held for a paused source are classified, in order.
 */
@Injectable()
export class DeliveryRecovery {
  private readonly logger = new Logger('Delivery');

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly deliveries: DeliveriesRepository,
    private readonly attempts: DeliveryAttemptsRepository,
    private readonly stored: EventsRepository,
    private readonly writer: StoreWriter,
    private readonly router: DeliveryRouter,
    private readonly runner: DeliveryRunner,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  /**
   * Every unfinished delivery, page by page in received order, each counted if a stop cut it
   * off and then handed to `take` (unless dead now). `take` may wait (a full queue): paging
   * waits with it, so memory holds a page at most. Stops when `go()` turns false.
   */
  async resume(take: (rows: DeliveriesTable[]) => Promise<void>, go: () => boolean): Promise<void> {
    let orphaned = 0;
    let resumed = 0;
    let after: { eventId: string; id: string } | undefined;
    for (;;) {
      const page = await this.deliveries.unfinished(after, PAGE);
      if (page.length === 0 || !go()) break;
      const last = page[page.length - 1];
      after = { eventId: last.event_id, id: last.id };
      const rows: DeliveriesTable[] = [];
      for (const row of page) {
        if (!this.registry.all().has(row.subscriber_id)) {
          orphaned++;
          continue;
        }
        const counted = row.status === 'running' ? await this.interrupted(row) : row;
        if (counted) rows.push(counted);
      }
      resumed += rows.length;
      await take(rows);
    }
    if (resumed) this.logger.log(`resumed ${resumed} unfinished deliveries`);
    if (orphaned)
      this.logger.warn(
        `${orphaned} unfinished deliveries belong to subscribers that no longer exist; they wait`,
      );
  }

  /**
   * Only the deliveries a stop cut off (status running; a few per subscriber at most): each is
   * counted, and those not dead now are handed to `take`. A queue that pages the rest of the
   * backlog from the store itself (the in-process one) needs no more than this.
   */
  async interruptions(take: (rows: DeliveriesTable[]) => Promise<void>, go: () => boolean): Promise<void> {
    let after: string | undefined;
    let resumed = 0;
    for (;;) {
      const page = await this.deliveries.running(after, PAGE);
      if (page.length === 0 || !go()) break;
      after = page[page.length - 1].id;
      const rows: DeliveriesTable[] = [];
      for (const row of page) {
        if (!this.registry.all().has(row.subscriber_id)) continue;
        const counted = await this.interrupted(row);
        if (counted) rows.push(counted);
      }
      resumed += rows.length;
      await take(rows);
    }
    if (resumed) this.logger.log(`resuming ${resumed} deliveries that a stop cut off`);
  }

  /** A delivery a stop cut off: counted, with its attempt in the history; undefined when dead now. */
  private async interrupted(row: DeliveriesTable): Promise<DeliveriesTable | undefined> {
    const written = await this.writer.write([
      this.attempts.interrupted(row.id, MAX_INTERRUPTIONS),
      this.deliveries.interrupted(row.id, MAX_INTERRUPTIONS, { status: 'running' }),
    ]);
    const [updated] = written[1] as DeliveriesTable[];
    if (!updated) return undefined;
    if (updated.status !== 'dead') return updated;
    this.runner.announce(fromRow(updated), 'dead', updated.last_error);
    return undefined;
  }

  /** Events left unclassified, and held events of sources that are active now. */
  async classifyPending(): Promise<void> {
    const active = Object.values(this.config.get('sources', { infer: true }))
      .filter((source) => source.mode === 'active')
      .map((source) => source.name);
    await this.classifyStored({ statuses: ['received'] });
    const released = active.length ? await this.classifyStored({ statuses: ['held'], sources: active }) : 0;
    if (released) this.logger.log(`released ${released} held event(s) of now active sources, in order`);
  }

  /** Classifies stored events page by page, in arrival order; returns how many. */
  async classifyStored(filter: {
    statuses: EventStatus[];
    sources?: string[];
    until?: string;
  }): Promise<number> {
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const rows = await this.stored.forClassification({ ...filter, after, limit: PAGE });
      if (rows.length === 0) return count;
      for (const row of rows) await this.router.commit(this.router.classify(toIncoming(row)));
      count += rows.length;
      after = rows[rows.length - 1].id;
    }
  }
}
