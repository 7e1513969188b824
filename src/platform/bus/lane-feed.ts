import { Logger } from '@nestjs/common';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryLane } from './delivery-lane.js';
import type { QueuedDelivery } from './delivery-queue.js';
import { fromRow } from './delivery-rows.js';
import { describe } from './retry-policy.js';

/**
 * How often each lane looks in the store for retries that came due and for its backlog; a
 * look takes the retries due within this much.
 */
export const FEED_MS = 1000;

/**
 * What one subscriber's lane has in the store beyond what it holds in memory, and the paging
 * of it into the lane while the lane's window has room: failed deliveries whose retry is due,
 * then pending ones in id order (a scan that goes on where it stopped, and starts again when
 * more were turned away meanwhile). The lane stays bounded; the store holds the rest.
 */
export class LaneFeed {
  /** Pending deliveries may wait in the store (a full window turned them away, or a restart). */
  private pending = false;
  /** Where the scan of pending deliveries (id order) goes on. */
  private cursor?: string;
  /** More were turned away while a scan ran: scan again from the start when it ends. */
  private rescan = false;
  /** Failed deliveries wait in the store for their retry. */
  private retries = false;
  private windowedInStore = false;
  private filling = false;
  /** Finished while a page was being read: the page may show them unfinished still. */
  private readonly finishedWhileFilling = new Set<string>();

  constructor(
    private readonly subscriberId: string,
    private readonly lane: DeliveryLane,
    private readonly window: number,
    private readonly deliveries: DeliveriesRepository,
    /** Whether this process still runs deliveries (it leads and is not stopping). */
    private readonly active: () => boolean,
    private readonly logger: Logger,
  ) {}

  /**
   * Some of its deliveries live only in the store: ordered ones look there for older ones of
   * their key before they run.
   */
  get windowed(): boolean {
    return this.windowedInStore;
  }

  /** Forgets the store: another process runs the deliveries now. */
  reset(): void {
    this.pending = this.rescan = this.retries = this.windowedInStore = false;
    this.cursor = undefined;
  }

  /** After a restart or a takeover anything may wait in the store: scan it all from the start. */
  resume(): void {
    this.pending = this.retries = true;
    this.rescan = false;
    this.cursor = undefined;
  }

  /** A delivery waits in the store and not in memory: failed ones for their retry. */
  spill(status: string): void {
    this.windowedInStore = true;
    if (status === 'failed') this.retries = true;
    else this.pending = this.rescan = true;
  }

  /** A failed delivery left memory until its retry, far off (its key's followers wait too). */
  evicted(id?: string): void {
    if (id !== undefined) this.finished(id);
    this.retries = this.windowedInStore = true;
  }

  /** A delivery left the lane for good: a page being read may still show it unfinished. */
  finished(id: string): void {
    if (this.filling) this.finishedWhileFilling.add(id);
  }

  /** Pages in when the store holds more and the lane has drained to half its window. */
  refillIfLow(): void {
    if ((this.pending || this.retries) && this.lane.size < this.window / 2) void this.refill();
  }

  /** Pages deliveries from the store into the lane while its window has room. */
  async refill(): Promise<void> {
    if (this.filling || !this.active()) return;
    this.filling = true;
    try {
      if (this.retries && this.lane.size < this.window) {
        const until = new Date(Date.now() + FEED_MS).toISOString();
        this.take(await this.deliveries.dueRetries(this.subscriberId, until, this.window - this.lane.size));
      }
      while (this.pending && this.lane.size < this.window && this.active()) {
        if (this.cursor === undefined) this.rescan = false;
        const room = this.window - this.lane.size;
        const rows = await this.deliveries.pendingOf(this.subscriberId, this.cursor, room);
        this.take(rows);
        if (rows.length < room) {
          this.cursor = undefined;
          this.pending = this.rescan;
          break;
        }
        this.cursor = rows[rows.length - 1].id;
      }
    } catch (error) {
      this.logger.warn(
        `reading the backlog of ${this.subscriberId} from the store failed: ${describe(error)}`,
      );
    } finally {
      this.filling = false;
      this.finishedWhileFilling.clear();
    }
  }

  /** Rows just read that the lane should take: not in memory, and not finished meanwhile. */
  private take(rows: readonly QueuedDelivery[]): void {
    for (const row of rows)
      if (this.active() && !this.lane.has(row.id) && !this.finishedWhileFilling.has(row.id))
        this.lane.add(fromRow(row));
  }
}
