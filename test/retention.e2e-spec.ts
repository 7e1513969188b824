import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { monotonicFactory } from 'ulid';
import type { DeliveryStatus, EventStatus, Store } from '../src/platform/store/database.js';
import { STORE } from '../src/platform/store/store.tokens.js';
import { Retention } from '../src/platform/store/retention.service.js';
import { eventually, startApp, TestApp } from './support/app.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { sample } from './support/metrics.js';

/**
 * Retention keeps exactly what README "Retention" promises: rows of every age and status are
 * written straight into the store, a run is started, and what is left is read back.
 */

const server = await postgres();
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();
/** Deliveries of a subscriber no module declares: the engine never picks them up. */
const SUBSCRIBER = 'retention.test';

/** Ids as the store makes them (ULIDs): the admin API answers 404 to anything else. */
const nextId = monotonicFactory();

async function addEvent(store: Store, status: EventStatus, ageDays: number, body = '{}'): Promise<string> {
  const id = nextId();
  await store.db
    .insertInto('events')
    .values({
      id,
      source: 'whippy',
      request_id: id,
      type: 'message.created',
      status,
      raw_body: Buffer.from(body),
      headers: '{}',
      verification: '{}',
      errors: null,
      received_at: ago(ageDays),
      updated_at: ago(ageDays),
    })
    .execute();
  return id;
}

async function addDelivery(
  store: Store,
  eventId: string,
  status: DeliveryStatus,
  ageDays: number,
  attempts = 1,
) {
  const id = nextId();
  const finished = ['succeeded', 'dead'].includes(status);
  await store.db
    .insertInto('deliveries')
    .values({
      id,
      event_id: eventId,
      subscriber_id: SUBSCRIBER,
      status,
      attempts,
      next_attempt_at: status === 'failed' ? ago(-365) : null,
      order_key: null,
      last_error: null,
      created_at: ago(ageDays),
      updated_at: ago(ageDays),
      finished_at: finished ? ago(ageDays) : null,
      throttles: 0,
      interruptions: 0,
      dedupe_key: null,
    })
    .execute();
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await store.db
      .insertInto('delivery_attempts')
      .values({
        id: nextId(),
        delivery_id: id,
        attempt,
        started_at: ago(ageDays),
        finished_at: ago(ageDays),
        duration_ms: 1,
        outcome: attempt === attempts && finished ? (status as 'succeeded' | 'dead') : 'failed',
        error: null,
      })
      .execute();
  }
  return id;
}

async function ids(store: Store, table: 'events' | 'deliveries'): Promise<Set<string>> {
  return new Set((await store.db.selectFrom(table).select('id').execute()).map((r) => r.id));
}

const attemptsOf = async (store: Store, deliveryId: string) =>
  (
    await store.db
      .selectFrom('delivery_attempts')
      .select('id')
      .where('delivery_id', '=', deliveryId)
      .execute()
  ).length;

/** Small batches, so that a run takes several and walks past kept events. */
const RETENTION = `
retention:
  days: 30
  deadDays: 90
  intervalMinutes: 1440
  batchSize: 2
`;

function suite(start: (config: string) => Promise<{ t: TestApp; stop(): Promise<void> }>) {
  let t: TestApp;
  let stop: () => Promise<void>;
  let store: Store;

  beforeAll(async () => {
    ({ t, stop } = await start(RETENTION));
    store = t.app.get<Store>(STORE);
  });
  afterAll(() => stop());

  it('prunes old finished deliveries and their events, and keeps everything else', async () => {
    const rows: Record<string, { event: string; deliveries: string[] }> = {};
    const add = async (
      name: string,
      status: EventStatus,
      age: number,
      deliveries: [DeliveryStatus, number][] = [],
    ) => {
      const event = await addEvent(store, status, age);
      const made: string[] = [];
      for (const [deliveryStatus, deliveryAge] of deliveries)
        made.push(await addDelivery(store, event, deliveryStatus, deliveryAge, 2));
      rows[name] = { event, deliveries: made };
    };
    await add('oldSucceeded', 'routed', 40, [['succeeded', 40]]);
    await add('oldSucceededTwice', 'routed', 45, [
      ['succeeded', 45],
      ['succeeded', 44],
    ]);
    await add('deadWithinDeadDays', 'routed', 40, [['dead', 40]]);
    await add('deadBeyondDeadDays', 'routed', 100, [['dead', 100]]);
    await add('oldPending', 'routed', 40, [['pending', 40]]);
    await add('oldRunning', 'routed', 40, [['running', 40]]);
    await add('oldFailedBesideSucceeded', 'routed', 40, [
      ['succeeded', 40],
      ['failed', 40],
    ]);
    await add('oldReplayedRecently', 'routed', 100, [
      ['succeeded', 100],
      ['succeeded', 2],
    ]);
    await add('recent', 'routed', 5, [['succeeded', 5]]);
    await add('recentDead', 'routed', 5, [['dead', 5]]);
    await add('oldUnrouted', 'unrouted', 40);
    await add('oldInvalid', 'invalid', 40);
    await add('veryOldUnknown', 'unknown', 100);
    await add('oldHeld', 'held', 200);
    await add('oldUnclassified', 'received', 200);
    await add('recentUnrouted', 'unrouted', 1);
    // An event that came in over HTTP, then aged.
    const ingested = await t.ingest('lead.new', {});
    await eventually(async () => {
      const row = await store.db
        .selectFrom('events')
        .select('status')
        .where('id', '=', ingested)
        .executeTakeFirst();
      return row?.status !== 'received';
    });
    await store.db
      .updateTable('events')
      .set({ received_at: ago(31) })
      .where('id', '=', ingested)
      .execute();
    const fresh = await t.ingest('lead.new', {});

    const run = await t.app.get(Retention).run();

    const events = await ids(store, 'events');
    const deliveries = await ids(store, 'deliveries');
    const kept = (name: string) => events.has(rows[name].event);
    const keptDeliveries = (name: string) => rows[name].deliveries.map((id) => deliveries.has(id));

    expect(kept('oldSucceeded')).toBe(false);
    expect(keptDeliveries('oldSucceeded')).toEqual([false]);
    expect(kept('oldSucceededTwice')).toBe(false);
    expect(keptDeliveries('oldSucceededTwice')).toEqual([false, false]);
    expect(kept('deadWithinDeadDays')).toBe(true);
    expect(keptDeliveries('deadWithinDeadDays')).toEqual([true]);
    expect(kept('deadBeyondDeadDays')).toBe(false);
    expect(keptDeliveries('deadBeyondDeadDays')).toEqual([false]);
    expect(kept('oldPending')).toBe(true);
    expect(keptDeliveries('oldPending')).toEqual([true]);
    expect(kept('oldRunning')).toBe(true);
    expect(kept('oldFailedBesideSucceeded')).toBe(true);
    expect(keptDeliveries('oldFailedBesideSucceeded')).toEqual([false, true]);
    expect(kept('oldReplayedRecently')).toBe(true);
    expect(keptDeliveries('oldReplayedRecently')).toEqual([false, true]);
    expect(kept('recent')).toBe(true);
    expect(keptDeliveries('recent')).toEqual([true]);
    expect(kept('recentDead')).toBe(true);
    expect(kept('oldUnrouted')).toBe(false);
    expect(kept('oldInvalid')).toBe(true);
    expect(kept('veryOldUnknown')).toBe(false);
    expect(kept('oldHeld')).toBe(true);
    expect(kept('oldUnclassified')).toBe(true);
    expect(kept('recentUnrouted')).toBe(true);
    expect(events.has(ingested)).toBe(false);
    expect(events.has(fresh)).toBe(true);

    // Attempts go with their delivery, and only with it.
    for (const id of rows.oldSucceeded.deliveries) expect(await attemptsOf(store, id)).toBe(0);
    for (const id of rows.deadBeyondDeadDays.deliveries) expect(await attemptsOf(store, id)).toBe(0);
    for (const id of rows.deadWithinDeadDays.deliveries) expect(await attemptsOf(store, id)).toBe(2);
    expect(await attemptsOf(store, rows.oldFailedBesideSucceeded.deliveries[1])).toBe(2);

    expect(run).toMatchObject({ events: 6, deliveries: 6, attempts: 12 });
    // The admin API agrees: a pruned event is gone, a kept one is there.
    await t.admin(`/admin/api/events/${rows.oldSucceeded.event}`).expect(404);
    await t.admin(`/admin/api/events/${rows.deadWithinDeadDays.event}`).expect(200);

    // Metrics count what was pruned.
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(sample(metrics, 'switchyard_retention_pruned_rows_total', { table: 'events' })).toBe(6);
    expect(sample(metrics, 'switchyard_retention_pruned_rows_total', { table: 'delivery_attempts' })).toBe(
      12,
    );

    // Nothing more to do the second time.
    expect(await t.app.get(Retention).run()).toMatchObject({ events: 0, deliveries: 0, attempts: 0 });
  });
}

describe('retention on SQLite', () => {
  suite(async (config) => {
    const t = await startApp({ config });
    return { t, stop: () => t.close() };
  });

  it('prunes in the background every intervalMinutes, without being asked', async () => {
    const t = await startApp({ config: RETENTION.replace('intervalMinutes: 1440', 'intervalMinutes: 0.01') });
    try {
      const store = t.app.get<Store>(STORE);
      const old = await addEvent(store, 'unrouted', 40);
      const recent = await addEvent(store, 'unrouted', 1);
      const pruned = async () =>
        sample((await t.http.get('/metrics').expect(200)).text, 'switchyard_retention_pruned_rows_total', {
          table: 'events',
        });
      await eventually(async () => (await pruned()) === 1, 10_000);
      const events = await ids(store, 'events');
      expect(events.has(old)).toBe(false);
      expect(events.has(recent)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('gives the space of many pruned rows back to the file system', async () => {
    const t = await startApp({ config: RETENTION.replace('batchSize: 2', 'batchSize: 500') });
    let open = true;
    try {
      const store = t.app.get<Store>(STORE);
      const pragma = async (name: string) =>
        Number(Object.values((await sql.raw(`PRAGMA ${name}`).execute(store.db)).rows[0] as object)[0]);
      expect(await pragma('auto_vacuum')).toBe(2); // INCREMENTAL
      const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(2000) }));
      const at = ago(40);
      await store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 3000; i++) {
          const id = nextId();
          await trx
            .insertInto('events')
            .values({
              id,
              source: 'whippy',
              request_id: id,
              type: 'message.created',
              status: 'routed',
              raw_body: body,
              headers: '{}',
              verification: '{}',
              errors: null,
              received_at: at,
              updated_at: at,
            })
            .execute();
        }
      });
      const before = await pragma('page_count');
      const pageSize = await pragma('page_size');

      const run = await t.app.get(Retention).run();

      expect(run.events).toBe(3000);
      expect(run.pagesReclaimed).toBeGreaterThan(0);
      expect(await pragma('freelist_count')).toBe(0);
      // 3,000 bodies of 2 KB are most of the file: it is now less than half of what it was.
      expect(await pragma('page_count')).toBeLessThan(before / 2);
      open = false;
      await t.close({ keepData: true });
      expect(statSync(join(t.dataDir, 'switchyard.db')).size).toBeLessThan((before * pageSize) / 2);
    } finally {
      if (open) await t.close({ keepData: true });
      rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});

describeWith(server, 'retention on PostgreSQL', () => {
  suite(async (config) => {
    const database = await freshDatabase(server.url!);
    const t = await startApp({ config, env: { DATABASE_URL: database.url } });
    return {
      t,
      async stop() {
        await t.close();
        await database.drop();
      },
    };
  });
});
