import { PermanentFailure, RetryLater } from '../src/platform/bus/index.js';
import { MessageCreated } from '../src/platform/events/index.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { HardeningProbeModule, Probe } from './support/probe.subscribers.js';

const SETTINGS = `
delivery:
  maxAttempts: 4
  maxThrottledAttempts: 5
  backoff: { initialMs: 50, maxMs: 1000, jitter: false }
  concurrency: 4
`;

interface DeliveryRow {
  id: string;
  eventId: string;
  subscriberId: string;
  status: string;
  attempts: number;
  throttles: number;
  lastError: string | null;
  waitingFor?: string;
  reason?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('delivery hardening (issue 7)', () => {
  let t: TestApp;
  let probe: Probe;

  const start = async (settings = SETTINGS) => {
    t = await startApp({ configDir: configDirWith(settings), modules: [HardeningProbeModule] });
    probe = t.app.get(Probe);
  };
  afterEach(() => t?.close());

  const deliveries = async (eventId: string): Promise<DeliveryRow[]> =>
    (await t.admin(`/admin/api/events/${eventId}`).expect(200)).body.deliveries;
  const deliveryOf = async (eventId: string, subscriber: string) =>
    (await deliveries(eventId)).find((d) => d.subscriberId === subscriber);
  const settled = (eventId: string, subscriber: string, status: string, ms = 10_000) =>
    eventually(async () => {
      const delivery = await deliveryOf(eventId, subscriber);
      return delivery?.status === status && delivery;
    }, ms);
  const message = (contactId: string) =>
    t.ingest('message.created', { ...fixture('message.created'), contact_id: contactId });
  /** Calls per event for a subscriber, since `from` calls were made. */
  const callsPerEvent = (subscriber: string, from = 0) => {
    const counts = new Map<string, number>();
    for (const call of probe.of(subscriber).slice(from))
      counts.set(call.eventId, (counts.get(call.eventId) ?? 0) + 1);
    return counts;
  };

  describe('what a handler returns cannot crash the service', () => {
    beforeEach(() => start());

    it('treats RetryLater(NaN), RetryLater(Infinity) and RetryLater(-Infinity) as failures retried with backoff', async () => {
      const delays = [NaN, Infinity, -Infinity];
      probe.on('test.flaky', (_, ctx) => {
        if (ctx.attempt <= delays.length) throw new RetryLater(delays[ctx.attempt - 1]);
      });
      const id = await t.ingest('message.created');
      const failed = await settled(id, 'test.flaky', 'failed');
      expect(failed.lastError).toMatch(/RetryLater with an invalid delay \((NaN|Infinity|-Infinity) ms\)/);
      const done = await settled(id, 'test.flaky', 'succeeded');
      expect(done).toMatchObject({ attempts: 4, throttles: 0, lastError: null });
      const starts = probe.of('test.flaky').map((c) => c.startedAt);
      expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(45);
      // The service is still up and delivering.
      const next = await t.ingest('message.created');
      await settled(next, 'test.steady', 'succeeded');
    });
  });

  describe('throttling (RetryLater)', () => {
    beforeEach(() => start());

    it('does not count throttled attempts against maxAttempts, and waits at least the backoff floor', async () => {
      probe.on('test.flaky', (_, ctx) => {
        if (ctx.attempt <= 5) throw new RetryLater(0, 'target answered 429 Retry-After: 0');
      });
      const id = await t.ingest('message.created');
      const done = await settled(id, 'test.flaky', 'succeeded');
      expect(done).toMatchObject({ attempts: 6, throttles: 5 });
      const starts = probe.of('test.flaky').map((c) => c.startedAt);
      // Retry-After: 0 still waits the floor: 50, 100, 200, 400, 800 ms.
      [50, 100, 200, 400, 800].forEach((floor, i) =>
        expect(starts[i + 1] - starts[i]).toBeGreaterThanOrEqual(floor - 5),
      );
    });

    it('counts throttles against maxAttempts past maxThrottledAttempts, so a delivery throttled forever ends dead', async () => {
      probe.on('test.flaky', () => {
        throw new RetryLater(0, 'always throttled');
      });
      const id = await t.ingest('message.created');
      const dead = await settled(id, 'test.flaky', 'dead', 15_000);
      // 5 throttles that did not count, then 4 that did.
      expect(dead).toMatchObject({ attempts: 9, throttles: 5, lastError: 'RetryLater: always throttled' });
    });
  });

  describe('concurrency and timeouts', () => {
    beforeEach(() => start(SETTINGS.replace('concurrency: 4', 'concurrency: 2')));

    it('keeps a timed-out handler that ignores its signal in its slot, and never runs one delivery twice at once', async () => {
      let running = 0;
      let most = 0;
      const runningEvents = new Set<string>();
      let overlap = false;
      probe.on('test.stubborn', async (_, ctx) => {
        if (runningEvents.has(ctx.eventId)) overlap = true;
        runningEvents.add(ctx.eventId);
        most = Math.max(most, ++running);
        try {
          // Ignores ctx.signal: runs 300 ms past its 100 ms timeout on the first attempt.
          if (ctx.attempt === 1) await sleep(300);
        } finally {
          running--;
          runningEvents.delete(ctx.eventId);
        }
      });
      const ids = await Promise.all(Array.from({ length: 6 }, () => t.ingest('message.created')));
      for (const id of ids) {
        const done = await settled(id, 'test.stubborn', 'succeeded');
        expect(done.attempts).toBe(2);
      }
      expect(most).toBeLessThanOrEqual(2);
      expect(overlap).toBe(false);
      expect(probe.of('test.stubborn').every((c) => c.attempt > 1 || c.aborted)).toBe(true);
    });
  });

  describe('repairs fired together deliver each delivery once', () => {
    beforeEach(() => start());

    /** `n` contact events whose test.contacts delivery is dead; then the subscriber works again. */
    const deadContacts = async (n: number): Promise<{ events: string[]; deliveries: DeliveryRow[] }> => {
      let down = true;
      probe.on('test.contacts', () => {
        if (down) throw new PermanentFailure('down');
      });
      const events = await Promise.all(Array.from({ length: n }, () => t.ingest('contact.created')));
      const rows = [];
      for (const id of events) rows.push(await settled(id, 'test.contacts', 'dead'));
      down = false;
      return { events, deliveries: rows };
    };

    it('two retries of each of 25 dead deliveries at once (50 requests): each runs once', async () => {
      const { events, deliveries: dead } = await deadContacts(25);
      const before = probe.of('test.contacts').length;
      const answers = await Promise.all(
        dead.flatMap((d) => [
          t.adminPost(`/admin/api/deliveries/${d.id}/retry`),
          t.adminPost(`/admin/api/deliveries/${d.id}/retry`),
        ]),
      );
      for (let i = 0; i < dead.length; i++) {
        const pair = [answers[2 * i].status, answers[2 * i + 1].status].sort();
        expect(pair).toEqual([202, 409]);
      }
      for (const id of events) await settled(id, 'test.contacts', 'succeeded');
      await sleep(200);
      const calls = callsPerEvent('test.contacts', before);
      expect(events.map((id) => calls.get(id))).toEqual(events.map(() => 1));
    });

    it('20 redrives at once: each answers 202 with its own count, the counts add up, each delivery runs once', async () => {
      const { events } = await deadContacts(30);
      const before = probe.of('test.contacts').length;
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => t.adminPost('/admin/api/subscribers/test.contacts/redrive')),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
      expect(answers.reduce((sum, a) => sum + a.body.redriven, 0)).toBe(30);
      for (const id of events) await settled(id, 'test.contacts', 'succeeded');
      await sleep(200);
      const calls = callsPerEvent('test.contacts', before);
      expect(events.map((id) => calls.get(id))).toEqual(events.map(() => 1));
    });

    it('20 replays of one event at once make 20 deliveries, each run once', async () => {
      const id = await t.ingest('contact.created');
      await settled(id, 'test.contacts', 'succeeded');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['test.contacts'] }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
      const made = answers.map((a) => a.body.deliveries[0].id);
      expect(new Set(made).size).toBe(20);
      const rows = await eventually(async () => {
        const all = (await deliveries(id)).filter((d) => d.subscriberId === 'test.contacts');
        return all.length === 21 && all.every((d) => d.status === 'succeeded') && all;
      });
      expect(rows.every((d) => d.attempts === 1)).toBe(true);
      await sleep(200);
      expect(probe.of('test.contacts')).toHaveLength(21);
    });

    it('redrives dead deliveries of one key in received order', async () => {
      let down = true;
      probe.on('test.ordered', () => {
        if (down) throw new PermanentFailure('down');
      });
      const events: string[] = [];
      for (let i = 0; i < 5; i++) events.push(await message('contact-redrive'));
      for (const id of events) await settled(id, 'test.ordered', 'dead');
      down = false;
      const before = probe.of('test.ordered').length;
      const redrive = await t.adminPost('/admin/api/subscribers/test.ordered/redrive').expect(202);
      expect(redrive.body).toEqual({ redriven: 5 });
      for (const id of events) await settled(id, 'test.ordered', 'succeeded');
      expect(
        probe
          .of('test.ordered')
          .slice(before)
          .map((c) => c.eventId),
      ).toEqual(events);
    });
  });

  describe('ordering', () => {
    beforeEach(() => start());

    it('with onDead: hold, keeps later deliveries of a dead one\'s key waiting ("waiting for <id>") until it is retried', async () => {
      let fail = true;
      probe.on('test.held', () => {
        if (fail) throw new PermanentFailure('rejected');
      });
      const first = await message('contact-held');
      const dead = await settled(first, 'test.held', 'dead');
      fail = false;
      const second = await message('contact-held');
      const other = await message('contact-free');
      await settled(other, 'test.held', 'succeeded');
      const waiting = await deliveryOf(second, 'test.held');
      expect(waiting).toMatchObject({
        status: 'pending',
        waitingFor: dead.id,
        reason: `waiting for ${dead.id}`,
      });
      expect(probe.of('test.held').map((c) => c.eventId)).toEqual([first, other]);

      await t.adminPost(`/admin/api/deliveries/${dead.id}/retry`).expect(202);
      await settled(second, 'test.held', 'succeeded');
      expect(probe.of('test.held').map((c) => c.eventId)).toEqual([first, other, first, second]);
    });

    it('by default (onDead: continue) a dead head frees its key', async () => {
      probe.on('test.ordered', (event) => {
        if (event.id === first) throw new PermanentFailure('rejected');
      });
      const first = await message('contact-continue');
      await settled(first, 'test.ordered', 'dead');
      const second = await message('contact-continue');
      await settled(second, 'test.ordered', 'succeeded');
    });

    it('shows "waiting for <id>" on a delivery queued behind a failing one of its key', async () => {
      probe.on('test.ordered', (event) => {
        if (event.id === first) throw new Error('try again');
      });
      const first = await message('contact-wait');
      const head = await settled(first, 'test.ordered', 'failed');
      const second = await message('contact-wait');
      // The 202 comes before the event is routed: wait until its delivery is listed.
      const row = await eventually(async () => {
        const listed = await t
          .admin('/admin/api/deliveries?subscriber=test.ordered&status=pending')
          .expect(200);
        return listed.body.items.find((d: DeliveryRow) => d.eventId === second);
      });
      expect(row).toMatchObject({ waitingFor: head.id, reason: `waiting for ${head.id}` });
    });

    it('delivers an event whose function orderBy returns an object unordered, not under one "[object Object]" key', async () => {
      let running = 0;
      let most = 0;
      probe.on('test.object-key', async () => {
        most = Math.max(most, ++running);
        await sleep(150);
        running--;
      });
      const ids = await Promise.all([message('contact-obj'), message('contact-obj'), message('contact-obj')]);
      for (const id of ids) await settled(id, 'test.object-key', 'succeeded');
      expect(most).toBeGreaterThan(1);
      expect((probe.of('test.object-key')[0].event as MessageCreated).data.contactId).toBe('contact-obj');
    });
  });
});

describe('backfill (issue 7 bugs 2 and 6)', () => {
  it('refuses a disabled subscriber with 409 and says why; 20 backfills at once create each delivery once', async () => {
    const off = await startApp({
      configDir: configDirWith(`${SETTINGS}
subscribers:
  test.contacts:
    enabled: false
`),
      modules: [HardeningProbeModule],
    });
    let dataDir: string;
    let events: string[];
    try {
      events = await Promise.all(Array.from({ length: 15 }, () => off.ingest('contact.created')));
      await eventually(() => off.app.get(Probe).of('test.everything').length === 15);
      const refused = await off
        .adminPost('/admin/api/subscribers/test.contacts/backfill', { dryRun: false })
        .expect(409);
      expect(refused.body.error).toBe('subscriber_disabled');
      expect(refused.body.message).toContain('subscribers.test.contacts.enabled');
      expect(off.app.get(Probe).of('test.contacts')).toHaveLength(0);
      dataDir = off.dataDir;
    } finally {
      await off.close({ keepData: true });
    }

    const on = await startApp({
      configDir: configDirWith(SETTINGS),
      modules: [HardeningProbeModule],
      dataDir,
    });
    try {
      const probe = on.app.get(Probe);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          on.adminPost('/admin/api/subscribers/test.contacts/backfill', { dryRun: false }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expect(answers.reduce((sum, a) => sum + a.body.created, 0)).toBe(15);
      await eventually(() => probe.of('test.contacts').length >= 15);
      await sleep(300);
      expect(
        probe
          .of('test.contacts')
          .map((c) => c.eventId)
          .sort(),
      ).toEqual([...events].sort());
    } finally {
      await on.close();
    }
  });
});
