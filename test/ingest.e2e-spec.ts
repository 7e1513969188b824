import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Store } from '../src/platform/store/database.js';
import { STORE } from '../src/platform/store/store.tokens.js';
import { configDirWith, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { envelope } from './support/events.js';
import { whippySignature } from './support/sign.js';

const EXTRA_SOURCES = `
sources:
  quiet:
    scheme: whippy
    keys: [quiet-key]
    mode: paused
  retired:
    scheme: whippy
    keys: [retired-key]
    mode: disabled
server:
  bodyLimit: 64kb
`;

describe('POST /webhooks/:source (DESIGN §2)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp({ configDir: configDirWith(EXTRA_SOURCES) });
  });
  afterEach(() => t.close());

  const post = (body: string | Buffer, options: { key?: string; source?: string; type?: string } = {}) =>
    t.http
      .post(`/webhooks/${options.source ?? 'whippy'}`)
      .set('content-type', options.type ?? 'application/json')
      .set('x-whippy-signature', whippySignature(options.key ?? WHIPPY_KEY, body).header)
      .send(body);

  const storedEvents = async () => (await t.admin('/admin/api/events?limit=500').expect(200)).body.items;

  it('stores a new event and answers 200 with its id', async () => {
    const res = await post(envelope('message.created')).expect(200);
    expect(res.body).toEqual({ received: true, id: expect.any(String), duplicate: false });
    const items = await storedEvents();
    expect(items).toHaveLength(1);
    // Stored classified, in the commit the 200 answers for: no subscriber in this app wants it.
    expect(items[0]).toMatchObject({
      id: res.body.id,
      source: 'whippy',
      type: 'message.created',
      status: 'unrouted',
    });
  });

  it('acknowledges a repeated request_id with the first id and stores it once', async () => {
    const body = envelope('contact.created');
    const first = await post(body).expect(200);
    const again = await post(body).expect(200);
    expect(again.body).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect(await storedEvents()).toHaveLength(1);
  });

  it('stores events of a paused source as held and acknowledges them', async () => {
    const res = await post(envelope(), { source: 'quiet', key: 'quiet-key' }).expect(200);
    expect(res.body.duplicate).toBe(false);
    const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
    expect(event.status).toBe('held');
  });

  it.each([
    ['missing', undefined],
    ['malformed', 'v1=abc'],
    ['wrong', whippySignature('not-the-key', envelope()).header],
    ['stale', whippySignature(WHIPPY_KEY, '{}', { t: Math.floor(Date.now() / 1000) - 301 }).header],
  ])('answers 401 invalid_signature for a %s signature and stores nothing', async (_, header) => {
    const req = t.http.post('/webhooks/whippy').set('content-type', 'application/json');
    if (header) req.set('x-whippy-signature', header);
    const res = await req.send(envelope()).expect(401);
    expect(res.body).toEqual({ error: 'invalid_signature' });
    expect(await storedEvents()).toHaveLength(0);
  });

  it.each([
    ['not JSON', 'this is not json', /not JSON/],
    ['an array', '[1,2]', /JSON object/],
    ['missing event', JSON.stringify({ request_id: 'r1', data: {} }), /"event"/],
    [
      'empty request_id',
      JSON.stringify({ event: 'message.created', request_id: '', data: {} }),
      /"request_id"/,
    ],
    [
      'data not an object',
      JSON.stringify({ event: 'message.created', request_id: 'r1', data: [1] }),
      /"data"/,
    ],
  ])('answers 400 invalid_payload for a signed body that is %s', async (_, body, message) => {
    const res = await post(body).expect(400);
    expect(res.body).toEqual({ error: 'invalid_payload', message: expect.stringMatching(message) });
    expect(await storedEvents()).toHaveLength(0);
  });

  it.each(['nowhere', 'retired'])('answers 404 unknown_source for source %s', async (source) => {
    const res = await post(envelope(), { source, key: 'retired-key' }).expect(404);
    expect(res.body).toEqual({ error: 'unknown_source' });
  });

  it('answers 413 for a body over the limit and stores nothing', async () => {
    const big = envelope('message.created', { body: 'x'.repeat(70 * 1024) });
    await post(big).expect(413);
    expect(await storedEvents()).toHaveLength(0);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])(
    'answers 415 for content type %s',
    async (type) => {
      await post(envelope(), { type }).expect(415);
      expect(await storedEvents()).toHaveLength(0);
    },
  );

  it('accepts application/json with a charset', async () => {
    await post(envelope(), { type: 'application/json; charset=utf-8' }).expect(200);
  });

  it('answers 503 with Retry-After when the store cannot commit, and acknowledges nothing', async () => {
    const store = t.app.get<Store>(STORE);
    await sql`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`.execute(
      store.db,
    );
    const body = envelope();
    const res = await post(body).expect(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.error).toBe('store_unavailable');
    await sql`DROP TRIGGER refuse`.execute(store.db);
    // Whippy's retry of the same request is then stored as new, not as a duplicate.
    const retry = await post(body).expect(200);
    expect(retry.body.duplicate).toBe(false);
  });

  it('keeps the exact bytes: unicode escapes, odd whitespace and key order', async () => {
    const body = `{ "request_id":"${randomUUID()}",\n\t"data" : {"z":1,"body":"caf\\u00e9 \\ud83d\\ude80 ☕","a":[ 1 ,2 ]} ,"event":"message.created"   }\r\n`;
    const res = await post(body).expect(200);
    const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
    expect(event.rawBody).toBe(body);
    expect(event.headers['x-whippy-signature']).toMatch(/^t=\d+,v1=/);
    expect(event.verification).toMatchObject({ scheme: 'whippy', keyIndex: 0 });
    expect(event.deliveries).toEqual([]);
  });

  it('stores 20 identical concurrent requests once: all 200, exactly one not a duplicate', async () => {
    const body = envelope('message.updated');
    const header = whippySignature(WHIPPY_KEY, body).header;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.http
          .post('/webhooks/whippy')
          .set('content-type', 'application/json')
          .set('x-whippy-signature', header)
          .send(body),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await storedEvents()).toHaveLength(1);
  });

  it('stores an event type the catalog does not know as unknown', async () => {
    const res = await post(envelope('invoice.paid', { id: 'inv_1', amount: 12 })).expect(200);
    const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
    expect(event).toMatchObject({ type: 'invoice.paid', status: 'unknown' });
  });
});
