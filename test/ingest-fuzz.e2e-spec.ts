import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { configDirWith, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';

/**
 * Generated bad input, sent mixed with valid signed requests to the running app over HTTP.
 * Whatever the mutation: no 5xx (the store is healthy here), no valid request refused because
 * of a neighbour, no unsigned event stored, no two distinct signed events merged.
 */

const server = await postgres();
const BODY_LIMIT = 16 * 1024;
const TYPES = ['message.created', 'contact.updated', 'lead.new', 'invoice.paid', 'Custom.Type:v2'];

interface Sent {
  kind: string;
  /** Statuses this request may get; anything else fails the property. */
  expected: number[];
  /** Set for a valid signed event: its dedupe key. */
  requestId?: string;
  /** Set for a request that is not signed by the source's key: must never be stored. */
  forgedId?: string;
  source?: string;
  body: Buffer;
  headers: Record<string, string>;
}

const sign = (body: Buffer, key = WHIPPY_KEY, t: string | number = Math.floor(Date.now() / 1000)) =>
  `t=${t},v1=${createHmac('sha256', key).update(`${t}.`).update(body).digest('base64')}`;

/** The README's rule, written out independently of src: what a kept id may be. */
const keepable = (id: string) =>
  id.trim() !== '' &&
  Buffer.byteLength(id) <= 255 &&
  // eslint-disable-next-line no-control-regex
  !/[\u0000-\u001f\u007f-\u009f]/.test(id) &&
  id === Buffer.from(id, 'utf8').toString('utf8');

const text = fc.string({ unit: 'binary', maxLength: 30 });
const data = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });

let counter = 0;
const uniqueId = (suffix: string) => `${++counter}-${suffix}`;

const envelope = (type: string, requestId: string, payload: unknown) =>
  Buffer.from(JSON.stringify({ event: type, request_id: requestId, data: payload }));

/** One valid signed event, with an id that is unusual but keepable. */
const valid = fc
  .tuple(fc.constantFrom(...TYPES), text.filter(keepable), data)
  .map(([type, suffix, payload]): Sent => {
    const requestId = uniqueId(suffix);
    const body = envelope(type, requestId, payload);
    return {
      kind: 'valid',
      expected: [200],
      requestId,
      body,
      headers: { 'content-type': 'application/json', 'x-whippy-signature': sign(body) },
    };
  });

/** Two valid events whose ids differ only in ways a lossy decoder or normaliser would erase. */
const lookalikes = fc
  .constantFrom(['é', 'e\u0301'], ['A', 'a'], ['ß', 'ss'], ['\u{1F680}', '\\u{1F680}'])
  .map(([a, b]): Sent[] => {
    const base = uniqueId('look-');
    return [a, b].map((suffix) => {
      const requestId = `${base}${suffix}`;
      const body = envelope('message.created', requestId, {});
      return {
        kind: 'lookalike',
        expected: [200],
        requestId,
        body,
        headers: { 'content-type': 'application/json', 'x-whippy-signature': sign(body) },
      };
    });
  });

/** Signed by someone else, or not at all, or altered after signing. */
const forged = fc
  .tuple(
    fc.constantFrom(
      'wrong-key',
      'no-header',
      'garbage-header',
      'tampered',
      'stale',
      'microseconds',
      'other-source',
    ),
    text,
    data,
  )
  .map(([how, junk, payload]): Sent => {
    const forgedId = uniqueId('forged');
    const body = envelope('message.created', forgedId, payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let sent = body;
    if (how === 'wrong-key') headers['x-whippy-signature'] = sign(body, 'not-the-key');
    if (how === 'garbage-header')
      headers['x-whippy-signature'] = `t=${junk.replace(/[^\x20-\x7e]/g, '')},v1=AAAA`;
    if (how === 'tampered') {
      headers['x-whippy-signature'] = sign(body);
      sent = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from(',"x":1}')]);
    }
    if (how === 'stale')
      headers['x-whippy-signature'] = sign(body, WHIPPY_KEY, Math.floor(Date.now() / 1000) - 3600);
    if (how === 'microseconds') headers['x-whippy-signature'] = sign(body, WHIPPY_KEY, Date.now() * 1000);
    if (how === 'other-source') headers['x-whippy-signature'] = sign(body, 'other-source-key');
    return { kind: `forged:${how}`, expected: [401], forgedId, body: sent, headers };
  });

/** Signed with the right key, but the body is not a keepable envelope. */
const malformed = fc
  .oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ body: Buffer.from(bytes), may: [200, 400] })),
    text.map((id) => ({ body: envelope('message.created', id, {}), may: keepable(id) ? [200] : [400] })),
    fc.constantFrom('\\u0000', '\\ud800', '\\udfff', '\\u001b[31m').map((escape) => ({
      body: Buffer.from(`{"event":"message.created","request_id":"${uniqueId('bad')}${escape}","data":{}}`),
      may: [400],
    })),
    fc.constantFrom(0xff, 0xfe, 0xc0, 0x80).map((byte) => ({
      body: Buffer.concat([
        Buffer.from(`{"event":"lead.new","request_id":"${uniqueId('raw')}`),
        Buffer.from([byte]),
        Buffer.from('","data":{}}'),
      ]),
      may: [400],
    })),
    fc
      .integer({ min: 256, max: 600 })
      .map((n) => ({ body: envelope('lead.new', uniqueId('x'.repeat(n)), {}), may: [400] })),
    fc
      .constantFrom(
        '[]',
        '{}',
        'null',
        '{"event":1,"request_id":"a","data":{}}',
        '{"event":"a b","request_id":"r","data":{}}',
      )
      .map((json) => ({ body: Buffer.from(json), may: [400] })),
  )
  .map(({ body, may }): Sent => {
    // A generated body that happens to be a keepable envelope is a valid event like any other.
    let requestId: string | undefined;
    try {
      const parsed = JSON.parse(body.toString('utf8'));
      if (may.includes(200) && typeof parsed?.request_id === 'string') requestId = parsed.request_id;
    } catch {
      // not JSON: a 400
    }
    return {
      kind: 'malformed',
      expected: may,
      requestId,
      body,
      headers: { 'content-type': 'application/json', 'x-whippy-signature': sign(body) },
    };
  });

/** Refused before verification: encodings, content types, sizes, sources. */
const refusedEarly = fc
  .constantFrom(
    'gzip',
    'br',
    'deflate',
    'text/plain',
    'form',
    'too-large',
    'unknown-source',
    'disabled-source',
  )
  .map((how): Sent => {
    const forgedId = uniqueId('early');
    let body = envelope('message.created', forgedId, {
      pad: how === 'too-large' ? 'p'.repeat(BODY_LIMIT) : '',
    });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let expected = [415];
    let source: string | undefined;
    if (['gzip', 'br', 'deflate'].includes(how)) {
      body = gzipSync(body);
      headers['content-encoding'] = how;
    }
    if (how === 'text/plain') headers['content-type'] = 'text/plain';
    if (how === 'form') headers['content-type'] = 'application/x-www-form-urlencoded';
    if (how === 'too-large') expected = [413];
    if (how === 'unknown-source' || how === 'disabled-source') {
      expected = [404];
      source = how === 'unknown-source' ? `nowhere-${counter}` : 'retired';
    }
    headers['x-whippy-signature'] = sign(body);
    return { kind: `early:${how}`, expected, forgedId, source, body, headers };
  });

/** One case: a few requests at once, valid ones among bad ones, sharing commits. */
const batch = fc
  .tuple(
    fc.array(valid, { minLength: 1, maxLength: 2 }),
    fc.array(fc.oneof(forged, malformed, refusedEarly), { minLength: 1, maxLength: 2 }),
    fc.option(lookalikes, { freq: 10 }),
  )
  .map(([good, bad, pair]) => [...good, ...bad, ...(pair ?? [])]);

function fuzz(name: string, runs: number, start: () => Promise<{ t: TestApp; stop(): Promise<void> }>) {
  let t: TestApp;
  let stop: () => Promise<void>;
  let url: string;

  beforeAll(async () => {
    ({ t, stop } = await start());
    const http = t.app.getHttpServer();
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => stop());

  it(`${name}: ${runs} generated cases of bad input among valid requests`, async () => {
    const acknowledged = new Map<string, string>();
    const forgedIds = new Set<string>();
    const surprises: string[] = [];
    await fc.assert(
      fc.asyncProperty(batch, async (requests) => {
        const answers = await Promise.all(
          requests.map(async (request) => {
            const res = await fetch(`${url}/webhooks/${request.source ?? 'whippy'}`, {
              method: 'POST',
              headers: request.headers,
              body: request.body,
            });
            return {
              request,
              status: res.status,
              body: (await res.json().catch(() => ({}))) as { id?: string },
            };
          }),
        );
        for (const { request, status, body } of answers) {
          if (request.forgedId) forgedIds.add(request.forgedId);
          if (!request.expected.includes(status)) {
            surprises.push(`${request.kind}: ${status}, expected ${request.expected.join('|')}`);
            return false;
          }
          if (status === 200 && request.requestId !== undefined) {
            const before = acknowledged.get(request.requestId);
            if (before && before !== body.id) return false;
            acknowledged.set(request.requestId, body.id!);
          }
        }
        return true;
      }),
      { numRuns: runs, endOnFailure: true },
    );
    expect(surprises).toEqual([]);

    const stored = new Map<string, string>();
    let cursor = '';
    do {
      const page = (
        await t.admin(`/admin/api/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`).expect(200)
      ).body;
      for (const item of page.items) stored.set(item.requestId, item.id);
      cursor = page.nextCursor ?? '';
    } while (cursor);
    // Every acknowledged event is stored under its own id, and nothing else is.
    expect(stored.size).toBe(acknowledged.size);
    expect([...acknowledged].filter(([requestId, id]) => stored.get(requestId) !== id)).toEqual([]);
    expect([...forgedIds].filter((id) => stored.has(id))).toEqual([]);
  }, 180_000);
}

const SOURCES = `
server:
  bodyLimit: ${BODY_LIMIT}
sources:
  other:
    scheme: whippy
    keys: [other-source-key]
  retired:
    scheme: whippy
    keys: [retired-key]
    mode: disabled
`;

// At least 2,000 cases on SQLite (FUZZ_RUNS raises it); PostgreSQL gets fewer.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

describe('generated bad input (issue 6)', () => {
  fuzz('SQLite', RUNS, async () => {
    // In memory where the machine has it: the property is about answers, not fsync.
    const dataDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/switchyard-fuzz-') : undefined;
    const t = await startApp({ configDir: configDirWith(SOURCES), dataDir });
    return { t, stop: () => t.close() };
  });
});

describeWith(server, 'generated bad input on PostgreSQL (issue 6)', () => {
  fuzz('PostgreSQL', Math.max(100, Math.floor(RUNS / 10)), async () => {
    const database = await freshDatabase(server.url!);
    const t = await startApp({ configDir: configDirWith(SOURCES), env: { DATABASE_URL: database.url } });
    return {
      t,
      async stop() {
        await t.close();
        await database.drop();
      },
    };
  });
});
