import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { configDirWith, startApp, TestApp } from './support/app.js';
import { envelope } from './support/events.js';
import { hmacHex, nowSeconds, standardWebhooksHeaders, whippySignature } from './support/sign.js';

const CURRENT = 'whippy-key-current';
const PREVIOUS = 'whippy-key-previous';
const SVIX = `whsec_${randomBytes(24).toString('base64')}`;
const CUSTOM = 'custom-shared-secret';

const SOURCES = `
sources:
  svix:
    scheme: standard-webhooks
    keys: [${SVIX}]
  custom:
    scheme: hmac
    keys: [${CUSTOM}]
    hmac:
      header: X-Signature
      prefix: 'sha256='
      template: '{timestamp}.{body}'
      timestampHeader: X-Timestamp
      algorithm: sha256
      encoding: hex
  lenient:
    scheme: whippy
    keys: [lenient-key]
    toleranceSeconds: 0
`;

type Signer = (body: string, options: { key?: string; t?: number }) => Record<string, string>;

interface SchemeCase {
  scheme: string;
  source: string;
  key: string;
  wrongKey: string;
  sign: Signer;
}

const CASES: SchemeCase[] = [
  {
    scheme: 'whippy',
    source: 'whippy',
    key: CURRENT,
    wrongKey: 'some-other-api-key',
    sign: (body, { key = CURRENT, t }) => ({
      'x-whippy-signature': whippySignature(key, body, { t }).header,
    }),
  },
  {
    scheme: 'standard-webhooks',
    source: 'svix',
    key: SVIX,
    wrongKey: `whsec_${randomBytes(24).toString('base64')}`,
    sign: (body, { key = SVIX, t }) => standardWebhooksHeaders(key, body, { t }),
  },
  {
    scheme: 'hmac',
    source: 'custom',
    key: CUSTOM,
    wrongKey: 'not-the-custom-secret',
    sign: (body, { key = CUSTOM, t = nowSeconds() }) => ({
      'x-signature': `sha256=${hmacHex(key, `${t}.${body}`)}`,
      'x-timestamp': String(t),
    }),
  },
];

describe('signature schemes (DESIGN §3)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      configDir: configDirWith(SOURCES),
      env: { WHIPPY_SIGNING_KEYS: `${CURRENT},${PREVIOUS}` },
    });
  });
  afterAll(() => t.close());

  const post = (source: string, body: string, headers: Record<string, string>) =>
    t.http.post(`/webhooks/${source}`).set('content-type', 'application/json').set(headers).send(body);

  const latestFailure = async (source: string) =>
    (await t.admin(`/admin/api/verification-failures?source=${source}&limit=1`).expect(200)).body.items[0];

  describe.each(CASES)('$scheme', ({ source, sign, wrongKey }) => {
    it('accepts a valid signature', async () => {
      const body = envelope();
      const res = await post(source, body, sign(body, {})).expect(200);
      expect(res.body.duplicate).toBe(false);
    });

    it('refuses a signature made with the wrong key', async () => {
      const body = envelope();
      await post(source, body, sign(body, { key: wrongKey })).expect(401, { error: 'invalid_signature' });
      expect(await latestFailure(source)).toMatchObject({ reason: 'no_matching_signature', source });
    });

    it('refuses a tampered body', async () => {
      const body = envelope();
      const tampered = body.replace('"data":{', '"data":{"injected":true,');
      await post(source, tampered, sign(body, {})).expect(401, { error: 'invalid_signature' });
    });

    it.each([
      ['stale', -301],
      ['future', +301],
    ])('refuses a %s timestamp outside the 300 s tolerance', async (_, offset) => {
      const body = envelope();
      await post(source, body, sign(body, { t: nowSeconds() + offset })).expect(401, {
        error: 'invalid_signature',
      });
      const failure = await latestFailure(source);
      expect(failure.reason).toBe('timestamp_out_of_tolerance');
      expect(Math.abs(failure.timestampSkewSeconds + offset)).toBeLessThanOrEqual(2);
    });

    it('accepts a timestamp just inside the tolerance', async () => {
      const body = envelope();
      await post(source, body, sign(body, { t: nowSeconds() - 290 })).expect(200);
    });
  });

  describe('whippy header forms', () => {
    it.each(['base64', 'base64-unpadded', 'hex'] as const)('accepts a %s signature', async (encoding) => {
      const body = envelope();
      const { header } = whippySignature(CURRENT, body, { encoding });
      await post('whippy', body, { 'x-whippy-signature': header }).expect(200);
    });

    it('accepts a header with several v1= entries when any one matches', async () => {
      const body = envelope();
      const good = whippySignature(CURRENT, body);
      const bad = whippySignature('stale-key', body, { t: good.t });
      const header = `t=${good.t},v1=${bad.signature},v1=${good.signature}`;
      await post('whippy', body, { 'x-whippy-signature': header }).expect(200);
    });

    it('refuses a header whose v1= entries all fail', async () => {
      const body = envelope();
      const a = whippySignature('one', body);
      const b = whippySignature('two', body, { t: a.t });
      await post('whippy', body, {
        'x-whippy-signature': `t=${a.t},v1=${a.signature},v1=${b.signature}`,
      }).expect(401);
    });
  });

  describe('whippy t= in milliseconds (its format is not published)', () => {
    const signedAt = (t: string, body: string, key = CURRENT) =>
      `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('base64')}`;

    it('reads a 13-digit t= as milliseconds, with the same tolerance', async () => {
      const body = envelope();
      const ms = String(Date.now() - 290_000);
      await post('whippy', body, { 'x-whippy-signature': signedAt(ms, body) }).expect(200);
      const stale = envelope();
      await post('whippy', stale, {
        'x-whippy-signature': signedAt(String(Date.now() - 301_000), stale),
      }).expect(401);
      const failure = await latestFailure('whippy');
      expect(failure.reason).toBe('timestamp_out_of_tolerance');
      expect(Math.abs(failure.timestampSkewSeconds - 301)).toBeLessThanOrEqual(2);
    });

    it.each([
      ['microseconds', () => String(Date.now() * 1000)],
      ['nanoseconds', () => `${Date.now()}000000`],
    ])('says when t= looks like %s', async (unit, t) => {
      const body = envelope();
      await post('whippy', body, { 'x-whippy-signature': signedAt(t(), body) }).expect(401);
      const failure = await latestFailure('whippy');
      expect(failure.reason).toBe('malformed_header');
      expect(failure.detail).toContain(`looks like unix ${unit}`);
    });

    it('says when another scheme got its timestamp in milliseconds', async () => {
      const body = envelope();
      const headers = standardWebhooksHeaders(SVIX, body, { t: Date.now() });
      await post('svix', body, headers).expect(401);
      expect((await latestFailure('svix')).detail).toContain('looks like unix milliseconds');
    });
  });

  describe('key rotation', () => {
    it('accepts the previous key while it is still in the ring, and records which key matched', async () => {
      const body = envelope();
      const res = await post('whippy', body, {
        'x-whippy-signature': whippySignature(PREVIOUS, body).header,
      }).expect(200);
      const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
      expect(event.verification).toMatchObject({ scheme: 'whippy', keyIndex: 1 });
    });

    it('refuses the previous key once it is removed from the ring', async () => {
      const rotated = await startApp({ env: { WHIPPY_SIGNING_KEYS: CURRENT } });
      try {
        const body = envelope();
        await rotated.http
          .post('/webhooks/whippy')
          .set('content-type', 'application/json')
          .set('x-whippy-signature', whippySignature(PREVIOUS, body).header)
          .send(body)
          .expect(401);
      } finally {
        await rotated.close();
      }
    });
  });

  describe('standard-webhooks specifics', () => {
    it('accepts the svix- prefixed header names', async () => {
      const body = envelope();
      await post('svix', body, standardWebhooksHeaders(SVIX, body, { prefix: 'svix' })).expect(200);
    });

    it('dedupes on webhook-id', async () => {
      const id = `msg_${randomUUID()}`;
      const first = envelope();
      const second = envelope();
      const a = await post('svix', first, standardWebhooksHeaders(SVIX, first, { id })).expect(200);
      const b = await post('svix', second, standardWebhooksHeaders(SVIX, second, { id })).expect(200);
      expect(b.body).toEqual({ received: true, id: a.body.id, duplicate: true });
    });
  });

  it('skips the timestamp check when toleranceSeconds is 0', async () => {
    const body = envelope();
    const header = whippySignature('lenient-key', body, { t: nowSeconds() - 86_400 }).header;
    await post('lenient', body, { 'x-whippy-signature': header }).expect(200);
  });

  describe('diagnostics of a failure', () => {
    it('says why, names the headers present, and keeps neither key nor body', async () => {
      const body = envelope('message.created', { body: 'secret message text' });
      await post('whippy', body, {
        'x-whippy-signature': whippySignature('wrong-api-key', body).header,
      }).expect(401);
      const failure = await latestFailure('whippy');
      expect(failure).toMatchObject({
        source: 'whippy',
        scheme: 'whippy',
        reason: 'no_matching_signature',
        keysTried: 2,
        signaturesPresented: 1,
        headerNames: expect.arrayContaining(['content-type', 'x-whippy-signature']),
        hint: expect.stringContaining('WHIPPY_SIGNING_KEYS'),
      });
      const text = JSON.stringify(failure);
      expect(text).not.toContain(CURRENT);
      expect(text).not.toContain(PREVIOUS);
      expect(text).not.toContain('secret message text');
    });

    it('tells a missing header apart from a malformed one', async () => {
      const body = envelope();
      await post('whippy', body, {}).expect(401);
      expect((await latestFailure('whippy')).reason).toBe('missing_header');
      await post('whippy', body, { 'x-whippy-signature': 'sha256=deadbeef' }).expect(401);
      expect((await latestFailure('whippy')).reason).toBe('malformed_header');
    });

    it('notices a request signed with the key of another source', async () => {
      const body = envelope();
      await post('whippy', body, {
        'x-whippy-signature': whippySignature('lenient-key', body).header,
      }).expect(401);
      const failure = await latestFailure('whippy');
      expect(failure.alternatives.join('\n')).toMatch(/key #0 of source 'lenient'/);
    });

    it('notices a request signed over the body alone, without the timestamp', async () => {
      const body = envelope();
      const signature = Buffer.from(hmacHex(CURRENT, body), 'hex').toString('base64');
      await post('whippy', body, { 'x-whippy-signature': `t=${nowSeconds()},v1=${signature}` }).expect(401);
      const failure = await latestFailure('whippy');
      expect(failure.alternatives.join('\n')).toMatch(/body alone with key #0/);
    });

    it('lists failures newest first, filtered by source', async () => {
      const res = await t.admin('/admin/api/verification-failures?limit=500').expect(200);
      const times = res.body.items.map((f: { id: string }) => f.id);
      expect([...times].sort().reverse()).toEqual(times);
      const svix = await t.admin('/admin/api/verification-failures?source=svix').expect(200);
      expect(svix.body.items.length).toBeGreaterThan(0);
      expect(svix.body.items.every((f: { source: string }) => f.source === 'svix')).toBe(true);
    });
  });
});
