import { configDirWith, eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { envelope } from './support/events.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { ProbeModule } from './support/probe.subscribers.js';
import { whippySignature } from './support/sign.js';

const PAUSED_KEY = 'recruiting-key';
const SOURCES = `
sources:
  recruiting:
    scheme: whippy
    keys: [${PAUSED_KEY}]
    mode: paused
  old:
    scheme: standard-webhooks
    keys: [whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=]
    mode: disabled
`;

interface SourceItem {
  name: string;
  scheme: string;
  mode: string;
  lastEventAt: string | null;
  counts: Record<string, number>;
  recentFailures: { id: string; source: string }[];
}

const server = await postgres();

describe('GET /admin/api/sources on SQLite', () => sourcesSuite(() => ({})));

describeWith(server, 'GET /admin/api/sources on PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await freshDatabase(server.url!);
  });
  afterAll(() => database?.drop());
  sourcesSuite(() => ({ DATABASE_URL: database.url }));
});

function sourcesSuite(env: () => Record<string, string>): void {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ configDir: configDirWith(SOURCES), env: env(), modules: [ProbeModule] });
  });
  afterAll(() => t?.close());

  const post = (source: string, body: string, key: string) =>
    t.http
      .post(`/webhooks/${source}`)
      .set('content-type', 'application/json')
      .set('x-whippy-signature', whippySignature(key, body).header)
      .send(body);
  const sources = async (): Promise<SourceItem[]> =>
    (await t.admin('/admin/api/sources').expect(200)).body.items;

  it('lists every configured source, with nothing received yet', async () => {
    const items = await sources();
    expect(items.map(({ name, scheme, mode, lastEventAt }) => ({ name, scheme, mode, lastEventAt }))).toEqual(
      expect.arrayContaining([
        { name: 'whippy', scheme: 'whippy', mode: 'active', lastEventAt: null },
        { name: 'recruiting', scheme: 'whippy', mode: 'paused', lastEventAt: null },
        { name: 'old', scheme: 'standard-webhooks', mode: 'disabled', lastEventAt: null },
      ]),
    );
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(Object.values(item.counts).every((n) => n === 0)).toBe(true);
      expect(item.recentFailures).toEqual([]);
    }
  });

  it('counts events by status and gives the last arrival, per source', async () => {
    for (const type of ['message.created', 'contact.created', 'mystery.thing', 'lead.new', 'mystery.other']) {
      await t.ingest(type, { id: type });
    }
    for (let i = 0; i < 2; i++) await post('recruiting', envelope('message.created'), PAUSED_KEY).expect(200);

    // Classification runs after the answer; wait until nothing is left `received`.
    const items = await eventually(async () => {
      const all = await sources();
      return all.find((s) => s.name === 'whippy')!.counts.received === 0 && all;
    });
    const events: { source: string; status: string; receivedAt: string }[] = (
      await t.admin('/admin/api/events?limit=500').expect(200)
    ).body.items;
    for (const name of ['whippy', 'recruiting', 'old']) {
      const own = events.filter((e) => e.source === name);
      const expected: Record<string, number> = {
        received: 0,
        routed: 0,
        unrouted: 0,
        unknown: 0,
        invalid: 0,
        held: 0,
      };
      for (const e of own) expected[e.status] += 1;
      const item = items.find((s) => s.name === name)!;
      expect(item.counts).toEqual(expected);
      expect(item.lastEventAt).toBe(own[0]?.receivedAt ?? null);
    }
    const whippy = items.find((s) => s.name === 'whippy')!;
    expect(whippy.counts.unknown).toBe(2);
    expect(whippy.counts.routed + whippy.counts.unrouted).toBe(3);
    expect(items.find((s) => s.name === 'recruiting')!.counts.held).toBe(2);
  });

  it('shows the ten newest verification failures of each source, as GET /verification-failures does', async () => {
    for (let i = 0; i < 12; i++) {
      await post('whippy', envelope(), 'not-the-key').expect(401);
    }
    await post('recruiting', envelope(), WHIPPY_KEY).expect(401);
    const items = await sources();
    const whippy = items.find((s) => s.name === 'whippy')!;
    const expected = (await t.admin('/admin/api/verification-failures?source=whippy&limit=10').expect(200))
      .body.items;
    expect(whippy.recentFailures).toHaveLength(10);
    expect(whippy.recentFailures).toEqual(expected);
    const ids = whippy.recentFailures.map((f) => f.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    const recruiting = items.find((s) => s.name === 'recruiting')!;
    expect(recruiting.recentFailures).toHaveLength(1);
    expect(recruiting.recentFailures[0]).toMatchObject({
      source: 'recruiting',
      reason: 'no_matching_signature',
    });
  });

  it('answers 401 without the token', async () => {
    await t.http.get('/admin/api/sources').expect(401);
  });
}
