import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeliveriesTable, openStore, type Store } from './database.js';
import { crashLoop, DeliveriesRepository } from './deliveries.repository.js';
import { DeliveryAttemptsRepository } from './delivery-attempts.repository.js';
import { EventsRepository } from './events.repository.js';
import { migrateToLatest } from './migrations/index.js';
import { KyselyStatementRunner, type Statement } from './statement-runner.js';

const LIMIT = 2;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

describe(DeliveriesRepository.name, () => {
  let dir: string;
  let store: Store;
  let deliveries: DeliveriesRepository;
  let attempts: DeliveryAttemptsRepository;
  let write: (...statements: Statement[]) => Promise<unknown[][]>;
  let eventId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-store-'));
    store = openStore({ dataDir: dir });
    await migrateToLatest(store.db, store.dialect);
    deliveries = new DeliveriesRepository(store);
    attempts = new DeliveryAttemptsRepository(store);
    const runner = new KyselyStatementRunner(store.db);
    write = async (...statements) => (await runner.run([statements]))[0];
    const events = new EventsRepository(store);
    eventId = events.nextId();
    const now = new Date().toISOString();
    await write(
      events.insert({
        id: eventId,
        source: 'whippy',
        request_id: 'r1',
        type: 'message.created',
        status: 'routed',
        raw_body: Buffer.from('{}'),
        headers: '{}',
        verification: '{}',
        errors: null,
        received_at: now,
        updated_at: now,
      }),
    );
  });

  afterEach(async () => {
    await store.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A delivery left `running` by a process that stopped, `interruptions` times before. */
  async function cutOff(interruptions: number, updatedAt = minutesAgo(10)): Promise<string> {
    const id = deliveries.nextId();
    const row: DeliveriesTable = {
      id,
      event_id: eventId,
      subscriber_id: 'test.steady',
      status: 'running',
      attempts: 1,
      next_attempt_at: null,
      order_key: null,
      last_error: 'timed out',
      created_at: updatedAt,
      updated_at: updatedAt,
      finished_at: null,
      throttles: 0,
      interruptions,
      dedupe_key: `${eventId}:${id}`,
    };
    await write(deliveries.insert(row));
    return id;
  }

  const interrupt = async (id: string, resume: Parameters<DeliveriesRepository['interrupted']>[2]) => {
    const [, updated] = await write(
      attempts.interrupted(id, LIMIT),
      deliveries.interrupted(id, LIMIT, resume),
    );
    return (updated as DeliveriesTable[])[0];
  };

  const history = async (id: string) => (await attempts.history([id], 10)).get(id) ?? [];

  it('counts a stop at a start and keeps the delivery running for recovery', async () => {
    const id = await cutOff(0);
    const row = await interrupt(id, { status: 'running' });
    expect(row).toMatchObject({
      status: 'running',
      interruptions: 1,
      last_error: 'timed out',
      finished_at: null,
    });
    expect(await history(id)).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'interrupted',
        error: 'the process stopped while this attempt ran',
      }),
    ]);
  });

  it('hands a stale delivery of a dead worker back as pending, and leaves a fresh one alone', async () => {
    const stale = await cutOff(0, minutesAgo(10));
    const fresh = await cutOff(0, minutesAgo(0));
    const staleBefore = minutesAgo(5);
    expect(await interrupt(stale, { status: 'pending', staleBefore })).toMatchObject({
      status: 'pending',
      interruptions: 1,
    });
    expect(await interrupt(fresh, { status: 'pending', staleBefore })).toBeUndefined();
    expect(await deliveries.get(fresh)).toMatchObject({ status: 'running', interruptions: 0 });
  });

  it.each([[{ status: 'running' as const }], [{ status: 'pending' as const, staleBefore: minutesAgo(5) }]])(
    'makes a delivery dead past the limit of stops, with the same words on the delivery and its attempt (%o)',
    async (resume) => {
      const id = await cutOff(LIMIT);
      const row = await interrupt(id, resume);
      expect(row).toMatchObject({ status: 'dead', interruptions: LIMIT + 1, last_error: crashLoop(LIMIT) });
      expect(row.finished_at).not.toBeNull();
      expect(crashLoop(LIMIT)).toBe(
        'the process stopped 3 times while this delivery ran; it is dead to stop a crash loop',
      );
      expect(await history(id)).toEqual([
        expect.objectContaining({ outcome: 'dead', error: crashLoop(LIMIT) }),
      ]);
    },
  );

  it('does nothing to a delivery that is no longer running', async () => {
    const id = await cutOff(0);
    await write(
      deliveries.update(id, {
        status: 'succeeded',
        attempts: 1,
        nextAttemptAt: null,
        lastError: null,
        finishedAt: new Date().toISOString(),
        throttles: 0,
      }),
    );
    expect(await interrupt(id, { status: 'running' })).toBeUndefined();
    expect(await history(id)).toEqual([]);
  });
});
