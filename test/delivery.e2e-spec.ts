import { PermanentFailure, RetryLater } from '../src/platform/bus/index.js';
import { EVENT_CLASSES, MessageCreated } from '../src/platform/events/index.js';
import { WHIPPY_EVENT_TYPES } from '../src/platform/events/event-types.js';
import { Inbox } from '../src/platform/inbox/inbox.service.js';
import { configDirWith, eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { envelope, fixture } from './support/events.js';
import { whippySignature } from './support/sign.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

const SETTINGS = `
delivery:
  maxAttempts: 3
  backoff: { initialMs: 100, maxMs: 1000, jitter: false }
  concurrency: 4
`;

interface DeliveryRow {
  id: string;
  subscriberId: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

describe('delivery to subscribers', () => {
  let t: TestApp;
  let probe: Probe;

  beforeEach(async () => {
    t = await startApp({ configDir: configDirWith(SETTINGS), modules: [ProbeModule] });
    probe = t.app.get(Probe);
  });
  afterEach(() => t.close());

  const event = async (id: string) => (await t.admin(`/admin/api/events/${id}`).expect(200)).body;
  const deliveryOf = async (id: string, subscriber: string): Promise<DeliveryRow | undefined> =>
    (await event(id)).deliveries.find((d: DeliveryRow) => d.subscriberId === subscriber);
  const settled = (id: string, subscriber: string, status: string) =>
    eventually(async () => {
      const delivery = await deliveryOf(id, subscriber);
      return delivery?.status === status && delivery;
    });

  it('gives every event type, parsed from its fixture, to its class and to a "*" subscriber', async () => {
    const ids = new Map<string, string>();
    for (const type of WHIPPY_EVENT_TYPES) ids.set(type, await t.ingest(type));
    await eventually(() => probe.of('test.everything').length === WHIPPY_EVENT_TYPES.length);
    for (const [type, id] of ids) {
      const call = probe.of('test.everything').find((c) => c.eventId === id)!;
      expect(call.event).toBeInstanceOf(EVENT_CLASSES[type as keyof typeof EVENT_CLASSES]);
      expect(call.event).toMatchObject({ id, type, source: 'whippy' });
      expect((await event(id)).status).toBe('routed');
    }
    const message = probe.of('test.everything').find((c) => c.type === 'message.created')!
      .event as MessageCreated;
    expect(message.data.contactId).toBe(fixture('message.created').contact_id);
  });

  it('answers 200 once the event is stored routed with its deliveries; a repeat makes no second delivery', async () => {
    const body = envelope('message.created');
    const post = () =>
      t.http
        .post('/webhooks/whippy')
        .set('content-type', 'application/json')
        .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
        .send(body)
        .expect(200);
    const { id } = (await post()).body;
    // No waiting: the commit the 200 answers for holds the status and the deliveries.
    const stored = await event(id);
    expect(stored.status).toBe('routed');
    const subscribers = stored.deliveries.map((d: DeliveryRow) => d.subscriberId).sort();
    expect(subscribers).toEqual(expect.arrayContaining(['test.everything', 'test.steady']));

    expect((await post()).body).toEqual({ received: true, id, duplicate: true });
    await eventually(async () =>
      (await event(id)).deliveries.every((d: DeliveryRow) => d.status === 'succeeded'),
    );
    expect((await event(id)).deliveries.map((d: DeliveryRow) => d.subscriberId).sort()).toEqual(subscribers);
    expect(probe.of('test.steady').filter((c) => c.eventId === id)).toHaveLength(1);
    const listed = (await t.admin('/admin/api/events?limit=10').expect(200)).body.items;
    expect(listed).toEqual([expect.objectContaining({ id, status: 'routed' })]);
  });

  it('stores a signed event whose classification at ingest throws, and routes it right after', async () => {
    t.app.get(Inbox).useClassifier({
      classify: () => {
        throw new Error('classifier broke');
      },
    });
    const id = await t.ingest('message.created');
    const routed = await eventually(async () => {
      const e = await event(id);
      return e.status === 'routed' && e.deliveries.every((d: DeliveryRow) => d.status === 'succeeded') && e;
    });
    expect(routed.deliveries.length).toBeGreaterThan(0);
    expect(probe.of('test.steady').map((c) => c.eventId)).toEqual([id]);
  });

  it('routes by class, by pattern and by default id', async () => {
    const message = await t.ingest('message.created');
    const contact = await t.ingest('contact.updated');
    const conversation = await t.ingest('conversation.created');
    await eventually(() => probe.of('test.everything').length === 3);
    await eventually(() => probe.of('ProbeSubscribers.onConversationCreated').length === 1);
    expect(probe.of('test.steady').map((c) => c.eventId)).toEqual([message]);
    expect(probe.of('test.contacts').map((c) => c.eventId)).toEqual([contact]);
    expect(probe.of('ProbeSubscribers.onConversationCreated').map((c) => c.eventId)).toEqual([conversation]);
    const call = probe.of('test.steady')[0];
    expect(call.idempotencyKey).toBe(`${message}:test.steady`);
    expect(call.attempt).toBe(1);
  });

  it('keeps an unknown type as unknown and delivers nothing; replay says why', async () => {
    const id = await t.ingest('invoice.paid', { id: 'inv_1' });
    expect((await event(id)).status).toBe('unknown');
    const replay = await t.adminPost(`/admin/api/events/${id}/replay`).expect(409);
    expect(replay.body.status).toBe('unknown');
    expect(probe.calls).toHaveLength(0);
  });

  it('keeps invalid data as invalid with its errors, delivers nothing, and can be replayed later', async () => {
    const id = await t.ingest('conversation.updated', {
      ...fixture('conversation.updated'),
      unread_count: 'many',
    });
    // Classified before the answer: invalid with its errors at once.
    const stored = await event(id);
    expect(stored.status).toBe('invalid');
    expect(stored.errors.join('\n')).toMatch(/unread_count/);
    expect(stored.rawBody).toContain('"many"');
    const replay = await t.adminPost(`/admin/api/events/${id}/replay`).expect(409);
    expect(replay.body.message).toMatch(/invalid/);
    expect(probe.calls).toHaveLength(0);
  });

  it('retries a failing subscriber with backoff until dead, while another of the same event succeeds once', async () => {
    probe.on('test.flaky', () => {
      throw new Error('CRM is down');
    });
    const id = await t.ingest('message.created');
    const dead = await settled(id, 'test.flaky', 'dead');
    expect(dead).toMatchObject({ attempts: 3, lastError: 'CRM is down' });
    const starts = probe.of('test.flaky').map((c) => c.startedAt);
    expect(starts).toHaveLength(3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(95);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(195);
    expect(probe.of('test.steady')).toHaveLength(1);
    expect(await deliveryOf(id, 'test.steady')).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('makes a delivery dead at once on PermanentFailure', async () => {
    probe.on('test.flaky', () => {
      throw new PermanentFailure('contact was deleted');
    });
    const id = await t.ingest('message.created');
    expect(await settled(id, 'test.flaky', 'dead')).toMatchObject({
      attempts: 1,
      lastError: 'PermanentFailure: contact was deleted',
    });
  });

  it('waits as asked on RetryLater', async () => {
    let calls = 0;
    probe.on('test.flaky', () => {
      if (++calls === 1) throw new RetryLater(400, 'rate limited');
    });
    const id = await t.ingest('message.created');
    await settled(id, 'test.flaky', 'succeeded');
    const [first, second] = probe.of('test.flaky');
    expect(second.startedAt - first.startedAt).toBeGreaterThanOrEqual(390);
  });

  it('aborts a handler that runs past its timeout and retries it', async () => {
    let calls = 0;
    probe.on('test.flaky', (_, context) =>
      ++calls === 1
        ? new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()))
        : undefined,
    );
    const id = await t.ingest('message.created');
    const done = await settled(id, 'test.flaky', 'succeeded');
    expect(done.attempts).toBe(2);
    const [first] = probe.of('test.flaky');
    expect(first.aborted).toBe(true);
    expect(first.endedAt! - first.startedAt).toBeGreaterThanOrEqual(290);
  });

  it('runs deliveries of one order key one at a time in received order; a failing head holds back only its key', async () => {
    const running = new Set<string>();
    let overlap = false;
    let failures = 0;
    probe.on('test.ordered', async (e) => {
      const key = (e as MessageCreated).data.contactId!;
      if (running.has(key)) overlap = true;
      running.add(key);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
      running.delete(key);
      if (key === 'contact-a' && failures++ < 2) throw new Error('first a fails twice');
    });
    const sent: { id: string; key: string }[] = [];
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const key = ['contact-a', 'contact-b', 'contact-c'][i % 3];
        const id = await t.ingest(i % 2 ? 'message.updated' : 'message.created', {
          ...fixture('message.created'),
          contact_id: key,
        });
        sent.push({ id, key });
      }),
    );
    await eventually(() => probe.of('test.ordered').length === 26, 10_000);
    expect(overlap).toBe(false);
    for (const key of ['contact-a', 'contact-b', 'contact-c']) {
      const expected = sent
        .filter((s) => s.key === key)
        .map((s) => s.id)
        .sort();
      const seen = [
        ...new Set(
          probe
            .of('test.ordered')
            .filter((c) => (c.event as MessageCreated).data.contactId === key)
            .map((c) => c.eventId),
        ),
      ];
      expect(seen).toEqual(expected);
    }
    const firstA = sent
      .filter((s) => s.key === 'contact-a')
      .map((s) => s.id)
      .sort()[0];
    const bDone = probe
      .of('test.ordered')
      .filter((c) => (c.event as MessageCreated).data.contactId === 'contact-b').length;
    const aRetry = probe.of('test.ordered').filter((c) => c.eventId === firstA);
    expect(aRetry).toHaveLength(3);
    // b was not held back by a's retries: all of b ran before a's last retry started.
    const lastBStart = Math.max(
      ...probe
        .of('test.ordered')
        .filter((c) => (c.event as MessageCreated).data.contactId === 'contact-b')
        .map((c) => c.startedAt),
    );
    expect(bDone).toBe(8);
    expect(lastBStart).toBeLessThan(aRetry[2].startedAt);
  });

  it('replays an event to all its subscribers or to the ones named', async () => {
    const id = await t.ingest('message.created');
    await settled(id, 'test.steady', 'succeeded');
    await t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['test.steady'] }).expect(202);
    await eventually(() => probe.of('test.steady').length === 2);
    const all = await t.adminPost(`/admin/api/events/${id}/replay`).expect(202);
    expect(all.body.deliveries.map((d: DeliveryRow) => d.subscriberId).sort()).toEqual([
      'test.everything',
      'test.flaky',
      'test.ordered',
      'test.steady',
    ]);
    await t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['test.contacts'] }).expect(400);
    await t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['nobody'] }).expect(400);
  });

  it('retries one dead delivery, and redrives all dead deliveries of a subscriber', async () => {
    let down = true;
    probe.on('test.flaky', () => {
      if (down) throw new PermanentFailure('down');
    });
    const ids = [
      await t.ingest('message.created'),
      await t.ingest('message.created'),
      await t.ingest('message.created'),
    ];
    for (const id of ids) await settled(id, 'test.flaky', 'dead');
    const dead = await t.admin('/admin/api/deliveries?status=dead&subscriber=test.flaky').expect(200);
    expect(dead.body.items).toHaveLength(3);
    down = false;
    await t.adminPost(`/admin/api/deliveries/${dead.body.items[0].id}/retry`).expect(202);
    await settled(dead.body.items[0].eventId, 'test.flaky', 'succeeded');
    await t.adminPost(`/admin/api/deliveries/${dead.body.items[0].id}/retry`).expect(409);
    const redrive = await t.adminPost('/admin/api/subscribers/test.flaky/redrive').expect(202);
    expect(redrive.body).toEqual({ redriven: 2 });
    for (const id of ids) await settled(id, 'test.flaky', 'succeeded');
    expect(probe.of('test.steady')).toHaveLength(3);
  });
});

describe('backfill', () => {
  it('brings a newly enabled subscriber up to date over a time range, counting first in a dry run', async () => {
    const off = await startApp({
      configDir: configDirWith(`${SETTINGS}
subscribers:
  test.contacts:
    enabled: false
`),
      modules: [ProbeModule],
    });
    const early = await off.ingest('contact.created');
    const since = new Date(Date.now() + 5).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const missed = [await off.ingest('contact.created'), await off.ingest('contact.updated')];
    await off.ingest('message.created');
    await eventually(() => off.app.get(Probe).of('test.everything').length === 4);
    expect(off.app.get(Probe).of('test.contacts')).toHaveLength(0);
    await off.close({ keepData: true });

    const on = await startApp({
      configDir: configDirWith(SETTINGS),
      modules: [ProbeModule],
      dataDir: off.dataDir,
    });
    try {
      const probe = on.app.get(Probe);
      const dry = await on.adminPost('/admin/api/subscribers/test.contacts/backfill', { since }).expect(200);
      expect(dry.body).toEqual({ matched: 2, created: 0, dryRun: true });
      expect(probe.calls).toHaveLength(0);
      const run = await on
        .adminPost('/admin/api/subscribers/test.contacts/backfill', { since, dryRun: false })
        .expect(200);
      expect(run.body).toEqual({ matched: 2, created: 2, dryRun: false });
      await eventually(() => probe.of('test.contacts').length === 2);
      expect(probe.of('test.contacts').map((c) => c.eventId)).toEqual(missed);
      expect(probe.of('test.contacts').map((c) => c.eventId)).not.toContain(early);
      const again = await on
        .adminPost('/admin/api/subscribers/test.contacts/backfill', { since, dryRun: false })
        .expect(200);
      expect(again.body.matched).toBe(0);
      await on.adminPost('/admin/api/subscribers/test.steady/backfill', { since: 'not a time' }).expect(400);
      await on.adminPost('/admin/api/subscribers/nobody/backfill', {}).expect(404);
    } finally {
      await on.close();
    }
  });
});
