import { jest } from '@jest/globals';
import { DelayedError, type Job } from 'bullmq';
import type { DeliveriesTable } from '../../store/database.js';
import type { DeliveriesRepository, DeliveryChange } from '../../store/deliveries.repository.js';
import type { EventsRepository } from '../../store/events.repository.js';
import type { Statement } from '../../store/statement-runner.js';
import type { StoreWriter } from '../../store/store-writer.service.js';
import type { DeliveryRunner } from '../delivery-runner.js';
import type { SubscriberDefinition } from '../subscriber.js';
import { DeliveryJobHandler } from './delivery-job-handler.js';

const pending: DeliveriesTable = {
  id: 'd1',
  event_id: 'e1',
  subscriber_id: 'crm.contacts',
  status: 'pending',
  attempts: 1,
  next_attempt_at: null,
  order_key: null,
  last_error: 'partner API answered 503',
  created_at: '2026-12-05T10:00:00.000Z',
  updated_at: '2026-12-05T10:00:00.000Z',
  finished_at: null,
  throttles: 0,
  interruptions: 0,
  dedupe_key: null,
};

/**
 * A worker's job handler with its store and runner faked: the store answers the claim of
 * `pending`, and `duringClaim` runs while that claim is being committed.
 */
function setup(duringClaim: () => void) {
  const stopping = new AbortController();
  const written: Statement[][] = [];
  const runner = {
    signal: stopping.signal,
    stop: () => stopping.abort(new Error('the service is stopping')),
    // As the real runner: once stopping, it runs nothing and returns undefined.
    attempt: jest.fn(() => Promise.resolve(undefined)),
  };
  const deliveries = {
    get: () => Promise.resolve({ ...pending }),
    claimForRun: (id: string): Statement => ({ sql: 'claim', parameters: [id] }),
    update: (id: string, change: DeliveryChange): Statement => ({ sql: 'update', parameters: [id, change] }),
  };
  const writer = {
    write: (statements: Statement[]) => {
      written.push(statements);
      if (statements[0].sql !== 'claim') return Promise.resolve([[]]);
      duringClaim();
      return Promise.resolve([[{ ...pending, status: 'running', attempts: pending.attempts + 1 }]]);
    },
  };
  const handler = new DeliveryJobHandler(
    deliveries as unknown as DeliveriesRepository,
    {} as EventsRepository,
    writer as unknown as StoreWriter,
    runner as unknown as DeliveryRunner,
  );
  const job = { id: pending.id, moveToDelayed: jest.fn(() => Promise.resolve()) };
  const process = () =>
    handler.handle({ id: pending.subscriber_id } as SubscriberDefinition, job as unknown as Job, 'token');
  return { runner, written, job, process };
}

describe('DeliveryJobHandler, a worker stopping', () => {
  it('hands back a delivery it claimed as the stop came: pending again, no attempt counted, queued for another worker', async () => {
    let stop = () => undefined as void;
    const { runner, written, job, process } = setup(() => stop());
    stop = runner.stop;
    await expect(process()).rejects.toBeInstanceOf(DelayedError);
    expect(runner.attempt).not.toHaveBeenCalled();
    expect(written.map((statements) => statements[0].sql)).toEqual(['claim', 'update']);
    expect(written[1][0].parameters).toEqual([
      pending.id,
      expect.objectContaining({ status: 'pending', attempts: pending.attempts, nextAttemptAt: null }),
    ]);
    expect(job.moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'token');
  });

  it('runs a delivery it claimed when no stop came', async () => {
    const { runner, written, process } = setup(() => undefined);
    await process();
    expect(runner.attempt).toHaveBeenCalledWith(
      expect.objectContaining({ id: pending.id, attempts: pending.attempts, fresh: true }),
    );
    expect(written.map((statements) => statements[0].sql)).toEqual(['claim']);
  });
});
