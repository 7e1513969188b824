import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { ConfigError } from '../src/config/config.error.js';
import { CrmModule } from '../src/integrations/crm/crm.module.js';
import { configDirWith, createTestApp, eventually, tempDir, TestApp, WHIPPY_KEY } from './support/app.js';
import { fixture } from './support/events.js';
import { FakeHubspot } from './support/fake-hubspot.js';
import { spawnService } from './support/service.js';
import { whippySignature } from './support/sign.js';

const TOKEN = 'pat-na1-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';

const SETTINGS = `
delivery:
  maxAttempts: 30
  backoff: { initialMs: 50, maxMs: 300, jitter: false }
crm:
  hubspot:
    token: \${HUBSPOT_TOKEN}
    baseUrl: \${HUBSPOT_URL}
    timeoutMs: 2000
`;

interface DeliveryRow {
  id: string;
  subscriberId: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

const contactData = (overrides: Record<string, unknown> = {}): Record<string, unknown> & { id: string } => ({
  ...fixture('contact.created'),
  id: randomUUID(),
  first_name: 'Jordan',
  last_name: 'Rivera',
  name: 'Jordan Rivera',
  email: 'jordan.rivera@example.com',
  phone: '+15555550123',
  updated_at: '2024-05-01T10:00:00.000001Z',
  ...overrides,
});

const messageData = (overrides: Record<string, unknown> = {}): Record<string, unknown> & { id: string } => ({
  ...fixture('message.created'),
  id: randomUUID(),
  contact_id: randomUUID(),
  ...overrides,
});

describe('CRM: HubSpot (crm.hubspot.contacts, crm.hubspot.timeline)', () => {
  let hubspot: FakeHubspot;
  let t: TestApp;

  beforeEach(async () => {
    hubspot = await FakeHubspot.start(TOKEN);
    t = await createTestApp({
      modules: [CrmModule],
      config: SETTINGS,
      env: { HUBSPOT_TOKEN: TOKEN, HUBSPOT_URL: hubspot.url },
    });
  });
  afterEach(async () => {
    await t.close();
    await hubspot.close();
  });

  const deliveries = async (id: string): Promise<DeliveryRow[]> =>
    (await t.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries;
  /** The event's delivery to `subscriber`, once it has `status`. */
  const delivery = (id: string, subscriber: string, status = 'succeeded', ms = 8000) =>
    eventually(async () => {
      const found = (await deliveries(id)).find((d) => d.subscriberId === subscriber);
      return found?.status === status && found;
    }, ms);
  const contacts = (id: string) => delivery(id, 'crm.hubspot.contacts');
  const timeline = (id: string) => delivery(id, 'crm.hubspot.timeline');

  it('creates a contact, updates it from a newer contact.updated and never rolls it back', async () => {
    const contact = contactData();
    await contacts(await t.ingest('contact.created', contact));
    expect(hubspot.all('contacts')).toHaveLength(1);
    const [created] = hubspot.all('contacts');
    expect(created.properties).toEqual({
      firstname: 'Jordan',
      lastname: 'Rivera',
      email: 'jordan.rivera@example.com',
      phone: '+15555550123',
    });

    await contacts(
      await t.ingest('contact.updated', {
        ...contact,
        last_name: 'Rivera-Diaz',
        updated_at: '2024-05-01T10:00:00.000002Z',
      }),
    );
    expect(hubspot.all('contacts')).toHaveLength(1);
    expect(hubspot.get(created.id)!.properties.lastname).toBe('Rivera-Diaz');

    // Whippy's retries can deliver an older state late: it changes nothing.
    await contacts(await t.ingest('contact.updated', { ...contact, last_name: 'Stale' }));
    expect(hubspot.get(created.id)!.properties.lastname).toBe('Rivera-Diaz');
    expect(hubspot.writes('contacts', 'PATCH')).toHaveLength(1);
    for (const request of hubspot.requests) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('matches contacts HubSpot has by email, then by phone, and resolves a 409 to the contact it names', async () => {
    const byEmail = hubspot.seedContact({ email: 'sam@example.com', firstname: 'Sam' });
    const byPhone = hubspot.seedContact({ phone: '+15555550999' });
    // Just created in HubSpot, not in its search index yet: the create answers 409.
    const unindexed = hubspot.seedContact({ email: 'alex@example.com' }, { unindexed: true });

    await contacts(
      await t.ingest('contact.created', contactData({ email: 'sam@example.com', first_name: 'Samantha' })),
    );
    await contacts(await t.ingest('contact.created', contactData({ email: null, phone: '+15555550999' })));
    const conflict = await contacts(
      await t.ingest('contact.created', contactData({ email: 'alex@example.com', phone: null })),
    );

    expect(conflict.attempts).toBe(1);
    expect(hubspot.all('contacts')).toHaveLength(3);
    expect(hubspot.get(byEmail.id)!.properties.firstname).toBe('Samantha');
    expect(hubspot.get(byPhone.id)!.properties.firstname).toBe('Jordan');
    expect(hubspot.get(unindexed.id)!.properties.lastname).toBe('Rivera');
    expect(hubspot.requests.filter((r) => r.status === 409)).toHaveLength(1);
  });

  it('logs inbound and outbound messages on the contact timeline, updating one in place as its status changes', async () => {
    const contact = contactData();
    await contacts(await t.ingest('contact.created', contact));
    const [person] = hubspot.all('contacts');

    const inbound = messageData({ contact_id: contact.id, direction: 'INBOUND', type: 'sms' });
    await timeline(await t.ingest('message.created', inbound));
    const outbound = messageData({
      contact_id: contact.id,
      direction: 'OUTBOUND',
      type: 'whatsapp',
      delivery_status: 'sent',
      from: '+15555550100',
      to: '+15555550123',
      body: 'Your interview is on Tuesday at 10.',
      updated_at: '2024-05-01T10:00:01Z',
    });
    // Outbound messages wait for delivered or delivery_unconfirmed (DESIGN §5 defaults).
    await timeline(await t.ingest('message.created', outbound));
    expect(hubspot.all('communications')).toHaveLength(1);
    await timeline(
      await t.ingest('message.updated', {
        ...outbound,
        delivery_status: 'delivered',
        updated_at: '2024-05-01T10:00:05Z',
      }),
    );

    const [received, sent] = hubspot.all('communications');
    expect(received.properties).toEqual({
      hs_communication_channel_type: 'SMS',
      hs_communication_logged_from: 'CRM',
      hs_communication_body: inbound.body,
      hs_timestamp: '2023-08-24T10:05:18.432Z',
    });
    expect(received.contacts).toEqual([person.id]);
    expect(sent.properties).toMatchObject({
      hs_communication_channel_type: 'WHATS_APP',
      hs_communication_body: 'Your interview is on Tuesday at 10.',
    });
    expect(sent.contacts).toEqual([person.id]);

    const edited = { ...outbound, body: 'Your interview is on Tuesday at 11.', delivery_status: 'delivered' };
    await timeline(await t.ingest('message.updated', { ...edited, updated_at: '2024-05-01T10:00:09Z' }));
    expect(hubspot.all('communications')).toHaveLength(2);
    expect(hubspot.get(sent.id)!.properties.hs_communication_body).toBe(
      'Your interview is on Tuesday at 11.',
    );
    expect(hubspot.writes('communications', 'PATCH')).toHaveLength(1);
  });

  it('gives message.updated before message.created one communication, on a contact created by phone', async () => {
    const message = messageData({
      direction: 'INBOUND',
      from: '+15555550777',
      updated_at: '2023-08-24T10:05:19Z',
    });
    await timeline(await t.ingest('message.updated', message));
    await timeline(
      await t.ingest('message.created', { ...message, updated_at: '2023-08-24T10:05:18.432652Z' }),
    );

    expect(hubspot.all('communications')).toHaveLength(1);
    expect(hubspot.writes('communications')).toHaveLength(1);
    const people = hubspot.all('contacts');
    expect(people.map((p) => p.properties)).toEqual([{ phone: '+15555550777' }]);
    expect(hubspot.all('communications')[0].contacts).toEqual([people[0].id]);
  });

  it('changes nothing twice for a duplicated request or a replay', async () => {
    const contact = contactData();
    const body = JSON.stringify({ event: 'contact.created', request_id: randomUUID(), data: contact });
    const post = () =>
      t.http
        .post('/webhooks/whippy')
        .set('content-type', 'application/json')
        .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
        .send(body)
        .expect(200);
    const first = (await post()).body;
    expect((await post()).body).toMatchObject({ id: first.id, duplicate: true });
    await contacts(first.id);

    const message = await t.ingest('message.created', messageData({ contact_id: contact.id }));
    await timeline(message);
    const writes = () =>
      hubspot.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/search')).length;
    const before = writes();
    expect(before).toBe(2);

    for (const id of [first.id, message]) {
      const replayed = await t.adminPost(`/admin/api/events/${id}/replay`).expect(202);
      for (const d of replayed.body.deliveries as DeliveryRow[]) {
        await eventually(
          async () => (await deliveries(id)).find((x) => x.id === d.id)?.status === 'succeeded',
        );
      }
    }
    expect(writes()).toBe(before);
    expect(hubspot.all('contacts')).toHaveLength(1);
    expect(hubspot.all('communications')).toHaveLength(1);
  });

  it('logs an analysed call once, with summary, transcript, duration, direction and recording', async () => {
    const call = {
      ...(fixture('call.analyzed') as {
        to: string;
        attachments: { url: string }[];
        metadata: { analysis: { call_summary: string } };
      }),
      id: randomUUID(),
      contact_id: randomUUID(),
    };
    const id = await t.ingest('call.analyzed', call);
    await timeline(id);
    await t.adminPost(`/admin/api/events/${id}/replay`).expect(202);
    await eventually(async () => (await deliveries(id)).filter((d) => d.status === 'succeeded').length === 2);

    expect(hubspot.all('calls')).toHaveLength(1);
    const [logged] = hubspot.all('calls');
    expect(logged.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '187000',
      hs_call_status: 'COMPLETED',
      hs_call_recording_url: call.attachments[0].url,
      hs_timestamp: '2023-08-24T14:12:40.905Z',
    });
    expect(logged.properties.hs_call_body).toContain(call.metadata.analysis.call_summary);
    expect(logged.properties.hs_call_body).toContain('Contact: Tuesday at 10 works for me.');
    // Outbound: the contact is the one called, found or created by `to`.
    expect(hubspot.get(logged.contacts[0])!.properties.phone).toBe(call.to);
    expect(hubspot.all('communications')).toHaveLength(0);
  });

  it('retries through a HubSpot outage and logs every message once when it is back', async () => {
    hubspot.down();
    const messages = [1, 2, 3].map((n) =>
      messageData({ direction: 'INBOUND', from: `+1555555100${n}`, body: `message number ${n}` }),
    );
    const ids = [];
    for (const message of messages) ids.push(await t.ingest('message.created', message));
    for (const id of ids) {
      const waiting = await delivery(id, 'crm.hubspot.timeline', 'failed');
      expect(waiting.lastError).toContain('503');
    }
    hubspot.up();
    for (const id of ids) await timeline(id);

    const bodies = hubspot.all('communications').map((c) => c.properties.hs_communication_body);
    expect(bodies.sort()).toEqual(['message number 1', 'message number 2', 'message number 3']);
    expect(hubspot.all('contacts')).toHaveLength(3);
  });

  it('waits as long as a 429 Retry-After says', async () => {
    hubspot.rateLimit(1, '1');
    const id = await t.ingest('message.created', messageData({ direction: 'INBOUND' }));
    const waiting = await delivery(id, 'crm.hubspot.timeline', 'failed');
    expect(waiting.lastError).toContain('429');
    expect(waiting.lastError).toContain('Retry-After 1000 ms');
    const done = await timeline(id);
    expect(done.attempts).toBe(2);
    expect(hubspot.all('communications')).toHaveLength(1);
  });

  it('logs emails as email engagements and notes as notes', async () => {
    const email = messageData({
      type: 'email',
      direction: 'INBOUND',
      from: 'jordan.rivera@example.com',
      email_subject: 'My resume',
      body: 'Attached is my resume.',
    });
    const note = messageData({
      type: 'note',
      direction: 'OUTBOUND',
      contact_id: email.contact_id,
      body: 'Prefers mornings.',
    });
    await timeline(await t.ingest('message.created', email));
    await timeline(await t.ingest('message.created', note));

    const [logged] = hubspot.all('emails');
    expect(logged.properties).toMatchObject({
      hs_email_direction: 'INCOMING_EMAIL',
      hs_email_subject: 'My resume',
      hs_email_text: 'Attached is my resume.',
    });
    expect(hubspot.get(logged.contacts[0])!.properties.email).toBe('jordan.rivera@example.com');
    expect(hubspot.all('notes').map((n) => [n.properties.hs_note_body, n.contacts])).toEqual([
      ['Prefers mornings.', logged.contacts],
    ]);
  });
});

describe('CRM off until configured', () => {
  it('starts without HUBSPOT_TOKEN and lists both subscribers disabled, naming it', async () => {
    const t = await createTestApp({ modules: [CrmModule] });
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers).toEqual([
        expect.objectContaining({
          id: 'crm.hubspot.contacts',
          enabled: false,
          reason: 'HUBSPOT_TOKEN is not set',
        }),
        expect.objectContaining({
          id: 'crm.hubspot.timeline',
          enabled: false,
          reason: 'HUBSPOT_TOKEN is not set',
        }),
      ]);
    } finally {
      await t.close();
    }
  });

  it('stops the start when a route enables one without HUBSPOT_TOKEN', async () => {
    let caught: unknown;
    try {
      const t = await createTestApp({
        modules: [CrmModule],
        config: 'subscribers:\n  crm.hubspot.timeline:\n    filter: { data.direction: INBOUND }\n',
      });
      await t.close();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([
      expect.stringMatching(/^subscribers\.crm\.hubspot\.timeline: .*HUBSPOT_TOKEN is not set/),
    ]);
  });

  it('names a bad setting by its path', async () => {
    await expect(
      createTestApp({
        modules: [CrmModule],
        config: 'crm:\n  hubspot:\n    timeline:\n      directions: [inbound]\n',
      }),
    ).rejects.toThrow('crm.hubspot.timeline.directions[0]: must be one of INBOUND, OUTBOUND, got "inbound"');
  });
});

describe('CRM logs', () => {
  it('never show the token, phone numbers, emails or message bodies, whatever HubSpot answers', async () => {
    const hubspot = await FakeHubspot.start(TOKEN);
    const dataDir = tempDir();
    const env = {
      // configDirWith writes test.yaml; test is not development, so production rules hold.
      APP_ENV: 'test',
      DATA_DIR: dataDir,
      CONFIG_DIR: configDirWith(SETTINGS),
      WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
      ADMIN_TOKEN: 'crm-logs-admin',
      HUBSPOT_TOKEN: TOKEN,
      HUBSPOT_URL: hubspot.url,
      LOG_LEVEL: 'debug',
    };
    const service = await spawnService(env);
    const send = async (type: string, data: Record<string, unknown>) => {
      const body = JSON.stringify({ event: type, request_id: randomUUID(), data });
      const res = await fetch(`${service.url}/webhooks/whippy`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-whippy-signature': whippySignature(WHIPPY_KEY, body).header,
        },
        body,
      });
      return ((await res.json()) as { id: string }).id;
    };
    const status = async (id: string, subscriber: string) => {
      const res = await fetch(`${service.url}/admin/api/events/${id}`, {
        headers: { authorization: 'Bearer crm-logs-admin' },
      });
      const event = (await res.json()) as { deliveries: DeliveryRow[] };
      return event.deliveries.find((d) => d.subscriberId === subscriber)?.status;
    };
    try {
      const contact = contactData({ email: 'kept.out@example.com', phone: '+15555550456' });
      const synced = await send('contact.created', contact);
      await eventually(async () => (await status(synced, 'crm.hubspot.contacts')) === 'succeeded', 15_000);

      hubspot.down();
      const body = 'Please call me about the night shift';
      const message = await send(
        'message.created',
        messageData({ from: '+15555550456', body, contact_id: contact.id }),
      );
      await eventually(async () => (await status(message, 'crm.hubspot.timeline')) === 'failed', 15_000);
      hubspot.up();
      await eventually(async () => (await status(message, 'crm.hubspot.timeline')) === 'succeeded', 15_000);

      hubspot.revokeToken();
      const refused = await send('contact.updated', { ...contact, updated_at: '2024-06-01T00:00:00Z' });
      await eventually(async () => (await status(refused, 'crm.hubspot.contacts')) === 'dead', 15_000);

      const output = service.output();
      expect(output).toContain('401');
      expect(output).toContain('503');
      for (const secret of [TOKEN, 'kept.out@example.com', '+15555550456', '5555550456', body]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
      await hubspot.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
