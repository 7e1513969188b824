import { Logger } from '@nestjs/common';
import type { DeliveryStatus } from '../store/database.js';
import type { DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryLane } from './delivery-lane.js';
import type { QueuedDelivery } from './delivery-queue.js';
import { LaneFeed } from './lane-feed.js';

const row = (
  id: string,
  status: DeliveryStatus = 'pending',
  nextAttemptAt: string | null = null,
): QueuedDelivery => ({
  id,
  event_id: `e-${id}`,
  subscriber_id: 's',
  status,
  attempts: status === 'failed' ? 1 : 0,
  throttles: 0,
  order_key: null,
  next_attempt_at: nextAttemptAt,
  last_error: null,
});

/** The store's unfinished deliveries of subscriber `s`, read as DeliveriesRepository reads them. */
class FakeStore {
  rows: QueuedDelivery[] = [];
  reads: string[] = [];
  /** Lets a test act while a page is being read. */
  beforeAnswer?: () => void;

  pendingOf(subscriberId: string, after: string | undefined, limit: number): Promise<QueuedDelivery[]> {
    this.reads.push(`pending after ${after ?? 'start'}`);
    const page = this.rows
      .filter((r) => r.status === 'pending' && (after === undefined || r.id > after))
      .sort((a, b) => a.id.localeCompare(b.id))
      .slice(0, limit);
    this.beforeAnswer?.();
    return Promise.resolve(page);
  }

  dueRetries(subscriberId: string, until: string, limit: number): Promise<QueuedDelivery[]> {
    this.reads.push('retries');
    return Promise.resolve(
      this.rows.filter((r) => r.status === 'failed' && r.next_attempt_at! <= until).slice(0, limit),
    );
  }

  pendingReads(): string[] {
    return this.reads.filter((read) => read.startsWith('pending'));
  }

  finish(id: string): void {
    this.rows = this.rows.filter((r) => r.id !== id);
  }
}

function setup(window = 2) {
  const store = new FakeStore();
  // Runs never end by themselves: what the lane took stays in it until the test finishes it.
  const lane = new DeliveryLane(window, () => new Promise<void>(() => undefined));
  let active = true;
  const feed = new LaneFeed(
    's',
    lane,
    window,
    store as unknown as DeliveriesRepository,
    () => active,
    new Logger('test'),
  );
  const held = () => ['a', 'b', 'c', 'd', 'e', 'f'].filter((id) => lane.has(id));
  /** A delivery succeeds: it leaves the lane and the store. */
  const finish = (id: string) => {
    lane.finish(lane.get(id)!);
    store.finish(id);
    feed.finished(id);
  };
  return { store, lane, feed, held, finish, stop: () => (active = false) };
}

describe(LaneFeed.name, () => {
  it('pages pending deliveries in id order, never more than the window, going on where it stopped', async () => {
    const { store, feed, held, finish } = setup(2);
    store.rows = ['e', 'a', 'd', 'b', 'c'].map((id) => row(id));
    feed.resume();
    await feed.refill();
    expect(held()).toEqual(['a', 'b']);
    finish('a');
    feed.refillIfLow(); // one of two left: not below half the window yet
    await Promise.resolve();
    expect(held()).toEqual(['b']);
    finish('b');
    await feed.refill();
    expect(held()).toEqual(['c', 'd']);
    expect(store.pendingReads()).toEqual(['pending after start', 'pending after b']);
  });

  it('stops reading once the store has no more, and reads again from the start after a spill', async () => {
    const { store, feed, held, finish } = setup(2);
    store.rows = [row('a')];
    feed.resume();
    await feed.refill();
    finish('a');
    await feed.refill();
    expect(store.pendingReads()).toEqual(['pending after start']);
    store.rows.push(row('b'));
    feed.spill('pending');
    await feed.refill();
    expect(held()).toEqual(['b']);
    expect(store.pendingReads()).toEqual(['pending after start', 'pending after start']);
  });

  it('does not take back a delivery that finished while its page was being read', async () => {
    const { store, lane, feed, held } = setup(3);
    store.rows = [row('a'), row('b')];
    feed.spill('pending');
    // The page is read with "a" unfinished; "a" finishes before the page arrives.
    store.beforeAnswer = () => {
      store.beforeAnswer = undefined;
      store.finish('a');
      feed.finished('a');
    };
    await feed.refill();
    expect(held()).toEqual(['b']);
    expect(lane.size).toBe(1);
  });

  it('takes failed deliveries whose retry is due, and only after a failure went to the store', async () => {
    const { store, feed, held } = setup(3);
    const soon = new Date(Date.now() + 100).toISOString();
    const later = new Date(Date.now() + 60_000).toISOString();
    store.rows = [row('a', 'failed', soon), row('b', 'failed', later)];
    await feed.refill();
    expect(store.reads).toEqual([]);
    feed.evicted('a');
    await feed.refill();
    expect(held()).toEqual(['a']);
    expect(feed.windowed).toBe(true);
  });

  it('reads nothing and takes nothing once this process no longer runs deliveries', async () => {
    const { store, feed, held, stop } = setup(2);
    store.rows = [row('a')];
    feed.resume();
    stop();
    await feed.refill();
    expect(store.reads).toEqual([]);
    expect(held()).toEqual([]);
    feed.reset();
    expect(feed.windowed).toBe(false);
  });
});
