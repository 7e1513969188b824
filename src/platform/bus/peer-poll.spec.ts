import { Logger } from '@nestjs/common';
import type { DeliveriesTable } from '../store/database.js';
import { PeerPoll, POLL_LIMIT, POLL_OVERLAP_MS } from './peer-poll.js';

const T0 = Date.parse('2026-12-05T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A poll's view of the store and the queue, recording what it was asked. */
function setup() {
  const calls: string[] = [];
  const dispatched: string[] = [];
  let now = T0;
  let running = true;
  let failNext = false;
  const warnings: string[] = [];
  const logger = new Logger('test');
  logger.warn = (message: unknown) => void warnings.push(String(message));
  const poll = new PeerPoll({
    deliveries: {
      pendingSince: (since, limit) => {
        calls.push(`pending since ${since} limit ${limit}`);
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('connection terminated'));
        }
        return Promise.resolve([{ id: `d-${since}` } as DeliveriesTable]);
      },
    },
    recovery: () => ({
      classifyStored: (filter) => {
        calls.push(`classify ${filter.statuses.join(',')} until ${filter.until}`);
        return Promise.resolve(0);
      },
    }),
    dispatch: (rows) => {
      dispatched.push(...rows.map((r) => r.id));
      return Promise.resolve();
    },
    running: () => running,
    logger,
    now: () => now,
  });
  return {
    poll,
    calls,
    dispatched,
    warnings,
    at: (ms: number) => void (now = ms),
    stopRunning: () => void (running = false),
    failNextRead: () => void (failNext = true),
  };
}

describe('PeerPoll', () => {
  it('hands over the pending deliveries changed since the last poll, and classifies what peers left', async () => {
    const s = setup();
    await s.poll.poll();
    s.at(T0 + 1000);
    await s.poll.poll();

    expect(s.calls).toEqual([
      `pending since ${iso(T0 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`,
      `classify received until ${iso(T0 - POLL_OVERLAP_MS)}`,
      // The second looks back from the first one's start, not from its own.
      `pending since ${iso(T0 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`,
      `classify received until ${iso(T0 + 1000 - POLL_OVERLAP_MS)}`,
    ]);
    expect(s.dispatched).toEqual([`d-${iso(T0 - POLL_OVERLAP_MS)}`, `d-${iso(T0 - POLL_OVERLAP_MS)}`]);
  });

  it('after a failed poll, looks back from the last one that succeeded', async () => {
    const s = setup();
    await s.poll.poll();
    s.at(T0 + 1000);
    s.failNextRead();
    await s.poll.poll();
    s.at(T0 + 2000);
    await s.poll.poll();

    expect(s.warnings).toEqual([
      'looking for deliveries made by other processes failed: connection terminated',
    ]);
    expect(s.calls.filter((c) => c.startsWith('pending'))).toEqual([
      `pending since ${iso(T0 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`,
      `pending since ${iso(T0 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`,
      `pending since ${iso(T0 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`,
    ]);
    s.at(T0 + 3000);
    await s.poll.poll();
    expect(s.calls.at(-2)).toBe(`pending since ${iso(T0 + 2000 - POLL_OVERLAP_MS)} limit ${POLL_LIMIT}`);
  });

  it('reads nothing once the process no longer runs deliveries', async () => {
    const s = setup();
    s.stopRunning();
    await s.poll.poll();
    expect(s.calls).toEqual([]);
  });
});
