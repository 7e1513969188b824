import { RelayModule } from '../src/integrations/relay/relay.module.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { RelayReceiver } from './support/relay-receiver.js';

const BILLING_SECRET = `whsec_${Buffer.from('billing relay secret, 32 bytes..').toString('base64')}`;
const AUDIT_SECRET = `whsec_${Buffer.from('audit relay secret, 32 bytes....').toString('base64')}`;

const config = (billing: RelayReceiver, audit: RelayReceiver, slow: RelayReceiver) => `
delivery:
  maxAttempts: 5
  backoff: { initialMs: 50, maxMs: 2000, jitter: false }
relay:
  targets:
    billing:
      url: ${billing.url('/billing/whippy')}
      secret: \${RELAY_BILLING_SECRET}
      events: [message.created]
      orderBy: data.contact_id
      timeoutMs: 3000
    audit:
      url: ${audit.url()}
      secret: ${AUDIT_SECRET}
      events: ['contact.*']
    slow:
      url: ${slow.url()}
      secret: ${AUDIT_SECRET}
      events: [conversation.created]
      timeoutMs: 300
`;

interface DeliveryRow {
  subscriberId: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}

describe('relay targets (DESIGN §5 "The relay")', () => {
  let t: TestApp;
  let billing: RelayReceiver;
  let audit: RelayReceiver;
  let slow: RelayReceiver;

  beforeEach(async () => {
    billing = await RelayReceiver.start(BILLING_SECRET);
    audit = await RelayReceiver.start(AUDIT_SECRET);
    slow = await RelayReceiver.start(AUDIT_SECRET);
    t = await startApp({
      configDir: configDirWith(config(billing, audit, slow)),
      env: { RELAY_BILLING_SECRET: BILLING_SECRET },
      modules: [RelayModule],
    });
  });
  afterEach(async () => {
    await t.close();
    await Promise.all([billing.close(), audit.close(), slow.close()]);
  });

  const stored = async (id: string) => (await t.admin(`/admin/api/events/${id}`).expect(200)).body;
  const deliveries = async (id: string): Promise<DeliveryRow[]> => (await stored(id)).deliveries;
  /** The event's delivery to `subscriber`, once it has `status`. */
  const delivery = (id: string, subscriber: string, status: string, ms = 5000) =>
    eventually(async () => {
      const found = (await deliveries(id)).find((d) => d.subscriberId === subscriber);
      return found?.status === status && found;
    }, ms);

  it('POSTs each routed event once, signed, with the typed event as body', async () => {
    const id = await t.ingest('message.created');
    const done = await delivery(id, 'relay.billing', 'succeeded');
    expect(done).toMatchObject({ attempts: 1, lastError: null });

    expect(billing.requests).toHaveLength(1);
    const [request] = billing.requests;
    expect(request.problems).toEqual([]);
    expect(request.path).toBe('/billing/whippy');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(`${id}:relay.billing`);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);

    const event = await stored(id);
    const body = request.body as Record<string, unknown>;
    expect(body).toMatchObject({ id, type: 'message.created', source: 'whippy' });
    expect(Date.parse(body.receivedAt as string)).toBe(Date.parse(event.receivedAt));
    const whippy = fixture('message.created');
    expect(body.data).toMatchObject({
      id: whippy.id,
      contactId: whippy.contact_id,
      conversationId: whippy.conversation_id,
      direction: whippy.direction,
      body: whippy.body,
    });
    expect(body.data).not.toHaveProperty('contact_id');
  });

  it('sends a target only the events it lists (message.created to billing, contact.* to audit)', async () => {
    const message = await t.ingest('message.created');
    const contact = await t.ingest('contact.created');
    await delivery(message, 'relay.billing', 'succeeded');
    await delivery(contact, 'relay.audit', 'succeeded');

    // Routing decides every delivery when the event is classified: these lists are final.
    expect((await deliveries(message)).map((d) => d.subscriberId)).toEqual(['relay.billing']);
    expect((await deliveries(contact)).map((d) => d.subscriberId)).toEqual(['relay.audit']);
    expect(billing.requests.map((r) => r.headers['webhook-id'])).toEqual([`${message}:relay.billing`]);
    expect(audit.requests.map((r) => r.headers['webhook-id'])).toEqual([`${contact}:relay.audit`]);
    expect(audit.requests[0].problems).toEqual([]);
    expect(audit.requests[0].body).toMatchObject({
      type: 'contact.created',
      data: { id: fixture('contact.created').id },
    });
  });

  it('retries a 500 with the same webhook-id, re-signed, until a 200', async () => {
    billing.answer({ status: 500, body: 'database is down' });
    const id = await t.ingest('message.created');
    const done = await delivery(id, 'relay.billing', 'succeeded');

    expect(done.attempts).toBe(2);
    const [first, second] = billing.requests;
    expect(billing.requests).toHaveLength(2);
    expect([first.problems, second.problems]).toEqual([[], []]);
    expect(second.headers['webhook-id']).toBe(`${id}:relay.billing`);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.rawBody).toBe(first.rawBody);
    expect(second.at - first.at).toBeGreaterThanOrEqual(40);
  });

  it('makes a 400 dead at once, with the answer as last error', async () => {
    billing.answer({ status: 400, body: 'contact 7f3b2c1e is not a customer' });
    const id = await t.ingest('message.created');
    const dead = await delivery(id, 'relay.billing', 'dead');

    expect(dead.attempts).toBe(1);
    expect(dead.lastError).toContain('400');
    expect(dead.lastError).toContain('contact 7f3b2c1e is not a customer');
    expect(billing.requests).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After says before the next attempt', async () => {
    billing.answer({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' });
    const id = await t.ingest('message.created');

    const waiting = await delivery(id, 'relay.billing', 'failed');
    expect(waiting.lastError).toContain('429');
    const first = billing.requests[0];
    expect(Date.parse(waiting.nextAttemptAt!) - first.at).toBeGreaterThanOrEqual(900);

    const done = await delivery(id, 'relay.billing', 'succeeded', 5000);
    expect(done.attempts).toBe(2);
    // The configured backoff is 50 ms: only Retry-After explains a second's wait.
    expect(billing.requests[1].at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up on a target that does not answer within its timeoutMs, and retries', async () => {
    slow.answer('hang');
    const id = await t.ingest('conversation.created');
    const waiting = await delivery(id, 'relay.slow', 'failed');
    expect(waiting.lastError).toContain('no answer within 300 ms');
    const done = await delivery(id, 'relay.slow', 'succeeded');
    expect(done.attempts).toBe(2);
  });

  it('delivers events of one contact in order (orderBy: data.contact_id), through retries', async () => {
    billing.answer({ status: 500 }, { status: 500 });
    const first = await t.ingest('message.created');
    const second = await t.ingest('message.created', { ...fixture('message.created'), id: 'second-message' });
    await delivery(second, 'relay.billing', 'succeeded');

    // Without ordering the second event would overtake the first during its backoff.
    expect(billing.requests.map((r) => (r.body as { id: string }).id)).toEqual([first, first, first, second]);
  });
});
