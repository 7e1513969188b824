import { randomUUID } from 'node:crypto';
import { eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';
import { envelope, fixture } from './support/events.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { whippySignature } from './support/sign.js';

const server = await postgres();

describeWith(server, 'ingest on PostgreSQL (DATABASE_URL)', () => {
  let t: TestApp;
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    database = await freshDatabase(server.url!);
    t = await startApp({ env: { DATABASE_URL: database.url }, modules: [ProbeModule] });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const post = (body: string) =>
    t.http
      .post('/webhooks/whippy')
      .set('content-type', 'application/json')
      .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
      .send(body);

  it('stores an event with its exact bytes and reads it back', async () => {
    const body = `{"event":"message.created","request_id":"${randomUUID()}","data":{"body":"caf\\u00e9 ☕",  "z":[1 ,2]}}\n`;
    const res = await post(body).expect(200);
    const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
    expect(event).toMatchObject({ type: 'message.created', rawBody: body });
  });

  it('stores 20 identical concurrent requests once', async () => {
    const body = envelope('message.updated');
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(body)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
  });

  it('keeps events across a restart, and migrations run again without harm', async () => {
    const res = await post(envelope('lead.new')).expect(200);
    await t.close({ keepData: true });
    t = await startApp({ env: { DATABASE_URL: database.url }, modules: [ProbeModule] });
    const listed = (await t.admin('/admin/api/events?type=lead.new').expect(200)).body.items;
    expect(listed.map((e: { id: string }) => e.id)).toEqual([res.body.id]);
  });

  it('delivers to subscribers and records each delivery', async () => {
    const probe = t.app.get(Probe);
    probe.on('test.flaky', (_, context) => {
      if (context.attempt === 1) throw new Error('first attempt fails');
    });
    const id = await t.ingest('message.created');
    const deliveries = await eventually(async () => {
      const event = (await t.admin(`/admin/api/events/${id}`).expect(200)).body;
      const flaky = event.deliveries.find((d: { subscriberId: string }) => d.subscriberId === 'test.flaky');
      return event.status === 'routed' && flaky?.status === 'succeeded' && event.deliveries;
    }, 10_000);
    expect(deliveries.map((d: { subscriberId: string }) => d.subscriberId).sort()).toEqual([
      'test.everything',
      'test.flaky',
      'test.ordered',
      'test.steady',
    ]);
    expect(deliveries.find((d: { subscriberId: string }) => d.subscriberId === 'test.flaky')).toMatchObject({
      attempts: 2,
      lastError: null,
    });
  });

  it('filters events by contact', async () => {
    const contact = `contact-${randomUUID()}`;
    const id = await t.ingest('message.created', { ...fixture('message.created'), contact_id: contact });
    await t.ingest('message.created');
    const res = await t.admin(`/admin/api/events?contact=${contact}`).expect(200);
    expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([id]);
  });

  it('reports ready with the store up', async () => {
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.details.store.status).toBe('up');
  });
});
