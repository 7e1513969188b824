import { Logger } from '@nestjs/common';
import type { DeliveriesRepository } from '../store/deliveries.repository.js';
import type { QueuedDelivery } from './delivery-queue.js';
import type { DeliveryRecovery } from './delivery-recovery.js';
import { describe } from './retry-policy.js';

/** How often the delivering process looks for what the other processes left it. */
export const POLL_MS = 1000;
/** Clocks of processes on one database may differ a little; a poll looks back this far. */
export const POLL_OVERLAP_MS = 5000;
/** Rows a poll adopts at most. */
export const POLL_LIMIT = 1000;

/** What a poll works with; the queue's own methods, so a test can give fakes. */
export interface PeerPollDeps {
  deliveries: Pick<DeliveriesRepository, 'pendingSince'>;
  /** Resolved at each poll: recovery classifies through the router, which dispatches. */
  recovery: () => Pick<DeliveryRecovery, 'classifyStored'>;
  /** Hands rows to the lanes (the queue's `dispatch`). */
  dispatch: (rows: readonly QueuedDelivery[]) => Promise<void>;
  /** Whether this process still runs deliveries (it leads and is not stopping). */
  running: () => boolean;
  logger: Logger;
  now?: () => number;
}

/**
 * PostgreSQL, in the process that runs deliveries, every POLL_MS: picks up the deliveries the
 * other processes made or repairs claimed, and classifies the events another process stored
 * but did not classify (it stopped first). Each poll looks back from the start of the last one
 * that succeeded, less POLL_OVERLAP_MS for clocks that differ.
 */
export class PeerPoll {
  private timer?: NodeJS.Timeout;
  private polledAt = 0;
  private readonly now: () => number;

  constructor(private readonly deps: PeerPollDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async poll(): Promise<void> {
    if (!this.deps.running()) return;
    const started = this.now();
    try {
      const since = new Date((this.polledAt || started) - POLL_OVERLAP_MS).toISOString();
      await this.deps.dispatch(await this.deps.deliveries.pendingSince(since, POLL_LIMIT));
      await this.deps.recovery().classifyStored({
        statuses: ['received'],
        until: new Date(started - POLL_OVERLAP_MS).toISOString(),
      });
      this.polledAt = started;
    } catch (error) {
      this.deps.logger.warn(`looking for deliveries made by other processes failed: ${describe(error)}`);
    }
  }
}
