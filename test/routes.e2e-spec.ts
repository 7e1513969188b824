import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/config/config.error.js';
import { RelayModule } from '../src/integrations/relay/relay.module.js';
import { DuplicateSubscriberError } from '../src/platform/bus/subscriber-registry.service.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { ClashingModule, Probe, ProbeModule } from './support/probe.subscribers.js';

/** One config folder, two environments that route differently. */
function environments(): string {
  const dir = configDirWith('');
  writeFileSync(
    join(dir, 'staging.yaml'),
    `subscribers:
  test.steady:
    enabled: false
  test.everything:
    events: ['message.*']
  test.contacts:
    events: [contact.created]
`,
  );
  writeFileSync(
    join(dir, 'production.yaml'),
    `subscribers:
  test.steady:
    filter:
      data.direction: INBOUND
      data.delivery_status: { in: [delivered, webhook_delivered] }
      data.body: { exists: true }
      data.from: { prefix: '+1' }
      data.type: { not: note }
`,
  );
  return dir;
}

const inbound = () => ({
  ...fixture('message.created'),
  direction: 'INBOUND',
  delivery_status: 'webhook_delivered',
  from: '+15555550123',
  type: 'sms',
});

describe('routes per environment', () => {
  const apps: TestApp[] = [];
  const boot = async (appEnv: string) => {
    const t = await startApp({ configDir: environments(), modules: [ProbeModule], env: { APP_ENV: appEnv } });
    apps.push(t);
    return t;
  };
  afterEach(async () => {
    while (apps.length) await apps.pop()!.close();
  });

  const explain = async (t: TestApp, event: string, data: Record<string, unknown>) =>
    (await t.adminPost('/admin/api/routes/explain', { event, data }).expect(200)).body;
  const verdict = (
    answer: { subscribers: { id: string; delivers: boolean; reason?: string }[] },
    id: string,
  ) => answer.subscribers.find((s) => s.id === id);

  it('staging: a disabled subscriber and a narrowed one', async () => {
    const t = await boot('staging');
    const answer = await explain(t, 'contact.created', fixture('contact.created'));
    expect(answer.known).toBe(true);
    expect(verdict(answer, 'test.contacts')).toEqual({ id: 'test.contacts', delivers: true });
    expect(verdict(answer, 'test.everything')).toMatchObject({
      delivers: false,
      reason: expect.stringContaining('does not subscribe to contact.created'),
    });
    const message = await explain(t, 'message.created', inbound());
    expect(verdict(message, 'test.steady')).toMatchObject({
      delivers: false,
      reason: 'disabled by subscribers.test.steady.enabled',
    });
    expect(verdict(message, 'test.everything')!.delivers).toBe(true);

    const id = await t.ingest('message.created', inbound());
    const probe = t.app.get(Probe);
    await eventually(() => probe.of('test.everything').length === 1);
    expect(probe.of('test.steady')).toHaveLength(0);
    expect(
      (await t.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries
        .map((d: { subscriberId: string }) => d.subscriberId)
        .sort(),
    ).toEqual(['test.everything', 'test.flaky', 'test.ordered']);
  });

  it('staging: an operator can replay to a subscriber what the code declares but the environment narrowed away', async () => {
    const t = await boot('staging');
    const id = await t.ingest('contact.updated');
    // Nobody hears contact.updated in staging.
    await eventually(
      async () => (await t.admin(`/admin/api/events/${id}`).expect(200)).body.status === 'unrouted',
    );
    const probe = t.app.get(Probe);
    expect(probe.of('test.contacts')).toHaveLength(0);
    await t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['test.contacts'] }).expect(202);
    await eventually(() => probe.of('test.contacts').length === 1);
    await t.adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['test.steady'] }).expect(400);
  });

  it('production: filters on Whippy field names, and explain says which condition failed', async () => {
    const t = await boot('production');
    expect(verdict(await explain(t, 'message.created', inbound()), 'test.steady')!.delivers).toBe(true);
    const cases: [Record<string, unknown>, string][] = [
      [{ direction: 'OUTBOUND' }, 'filter: data.direction is "OUTBOUND", wanted "INBOUND"'],
      [
        { delivery_status: 'failed' },
        'filter: data.delivery_status is "failed", wanted one of ["delivered","webhook_delivered"]',
      ],
      [{ body: null }, 'filter: data.body is null, wanted it present'],
      [{ from: '+445555550123' }, 'filter: data.from is "+445555550123", wanted it to start with "+1"'],
      [{ type: 'note' }, 'filter: data.type is "note", wanted anything but that'],
    ];
    for (const [change, reason] of cases) {
      expect(
        verdict(await explain(t, 'message.created', { ...inbound(), ...change }), 'test.steady'),
      ).toEqual({ id: 'test.steady', delivers: false, reason });
    }
    const probe = t.app.get(Probe);
    const kept = await t.ingest('message.created', inbound());
    const dropped = await t.ingest('message.created', { ...inbound(), direction: 'OUTBOUND' });
    await eventually(() => probe.of('test.everything').length === 2);
    await eventually(() => probe.of('test.steady').length === 1);
    expect(probe.of('test.steady').map((c) => c.eventId)).toEqual([kept]);
    expect(dropped).not.toBe(kept);
  });

  it('serves the routing table and says an unknown type would be kept as unknown', async () => {
    const t = await boot('production');
    const res = await t.admin('/admin/api/routes').expect(200);
    const contact = res.body.routes.find((r: { type: string }) => r.type === 'contact.updated');
    expect(contact.subscribers.map((s: { id: string }) => s.id).sort()).toEqual([
      'test.contacts',
      'test.everything',
    ]);
    const message = res.body.routes.find((r: { type: string }) => r.type === 'message.created');
    expect(message.subscribers.find((s: { id: string }) => s.id === 'test.steady').filter).toMatchObject({
      'data.direction': { equals: 'INBOUND' },
    });
    expect(res.body.subscribers.find((s: { id: string }) => s.id === 'test.contacts').types).toEqual([
      'contact.created',
      'contact.updated',
    ]);
    const unknown = await explain(t, 'invoice.paid', {});
    expect(unknown.known).toBe(false);
    expect(unknown.subscribers.every((s: { delivers: boolean }) => !s.delivers)).toBe(true);
    await t.adminPost('/admin/api/routes/explain', { event: 'message.created' }).expect(400);
  });
});

describe('routes checked at start', () => {
  const failure = async (yaml: string, modules = [ProbeModule]) => {
    try {
      const t = await startApp({ configDir: configDirWith(yaml), modules });
      await t.close();
    } catch (error) {
      return error as Error;
    }
    throw new Error('the start should have failed');
  };

  it('stops on an unknown subscriber id, listing the known ones', async () => {
    const error = await failure('subscribers:\n  crm.timeline:\n    enabled: true\n');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      'subscribers.crm.timeline: no such subscriber (known: ProbeSubscribers.onConversationCreated, test.contacts, test.everything, test.flaky, test.ordered, test.steady)',
    );
  });

  it('stops on an unknown event type, listing the known ones', async () => {
    const error = await failure('subscribers:\n  test.everything:\n    events: [message.sent]\n');
    expect(error.message).toMatch(
      /subscribers\.test\.everything\.events\[0\]: unknown event type 'message\.sent' \(known: message\.created, message\.updated, call\.analyzed/,
    );
  });

  it('stops when configuration widens what the code declares', async () => {
    const error = await failure('subscribers:\n  test.contacts:\n    events: [lead.new]\n');
    expect(error.message).toContain(
      "subscribers.test.contacts.events[0]: 'lead.new' is not among the events test.contacts declares",
    );
  });

  it('stops on a malformed filter, naming its path', async () => {
    const error = await failure(
      'subscribers:\n  test.steady:\n    filter:\n      data.direction: { is: INBOUND }\n',
    );
    expect(error.message).toContain(
      'subscribers.test.steady.filter.data.direction: must be a value or one of',
    );
  });

  it('stops on a filter path that is not a field of the events, suggesting the nearest', async () => {
    const error = await failure('subscribers:\n  test.steady:\n    filter:\n      data.directon: INBOUND\n');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(
      'subscribers.test.steady.filter.data.directon: no such field in message.created; did you mean data.direction?',
    );
  });

  it('accepts filters on nested fields and on type and source', async () => {
    const t = await startApp({
      configDir: configDirWith(
        "subscribers:\n  test.contacts:\n    filter:\n      data.communication_preferences: { exists: true }\n      source: whippy\n  test.everything:\n    events: [lead.new]\n    filter:\n      data.contact.phone: { prefix: '+1' }\n",
      ),
      modules: [ProbeModule],
    });
    await t.close();
  });

  it('stops on a relay orderBy that is an object, or missing, in an event type the target takes', async () => {
    const secret = `whsec_${Buffer.from('routes test relay secret 32 byte').toString('base64')}`;
    const relay = (orderBy: string, events: string) =>
      `relay:\n  targets:\n    crm:\n      url: http://127.0.0.1:9/x\n      secret: ${secret}\n      events: ${events}\n      orderBy: ${orderBy}\n`;
    // The relay registers one subscriber per target, so this start boots the relay module too.
    const object = await failure(relay('data.contact', '[lead.new]'), [ProbeModule, RelayModule]);
    expect(object).toBeInstanceOf(ConfigError);
    expect(object.message).toContain(
      "subscriber relay.crm (relay target 'crm'): orderBy 'data.contact' is an object in lead.new, not a scalar (a field inside it: data.contact.id",
    );
    const missing = await failure(relay('data.contact_id', '[message.created, contact.created]'), [
      ProbeModule,
      RelayModule,
    ]);
    expect(missing.message).toContain(
      "subscriber relay.crm (relay target 'crm'): orderBy 'data.contact_id' is not a field of contact.created",
    );
    expect(missing.message).not.toContain('of message.created');
  });

  it('stops when two subscribers claim one id', async () => {
    const error = await failure('', [ProbeModule, ClashingModule]);
    expect(error).toBeInstanceOf(DuplicateSubscriberError);
    expect(error.message).toBe(
      "subscriber id 'test.clash' is used twice: by ClashingSubscribers.first and by ClashingSubscribers.second; give one of them another id",
    );
  });
});

describe('source modes', () => {
  it('holds events of a paused source and releases them in order once it is active again', async () => {
    const paused = await startApp({
      configDir: configDirWith('sources:\n  whippy:\n    mode: paused\n'),
      modules: [ProbeModule],
    });
    const ids = [
      await paused.ingest('contact.created'),
      await paused.ingest('contact.updated'),
      await paused.ingest('contact.created'),
    ];
    for (const id of ids)
      expect((await paused.admin(`/admin/api/events/${id}`).expect(200)).body.status).toBe('held');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(paused.app.get(Probe).calls).toHaveLength(0);
    await paused.close({ keepData: true });

    const active = await startApp({
      configDir: configDirWith(''),
      modules: [ProbeModule],
      dataDir: paused.dataDir,
    });
    try {
      const probe = active.app.get(Probe);
      await eventually(() => probe.of('test.contacts').length === 3);
      expect(probe.of('test.contacts').map((c) => c.eventId)).toEqual(ids);
      for (const id of ids)
        expect((await active.admin(`/admin/api/events/${id}`).expect(200)).body.status).toBe('routed');
    } finally {
      await active.close();
    }
  });
});
