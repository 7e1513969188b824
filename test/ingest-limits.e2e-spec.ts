import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WHIPPY_EVENT_TYPES } from '../src/platform/events/event-types.js';
import { startApp, tempDir, TestApp, WHIPPY_KEY } from './support/app.js';
import { fixture } from './support/events.js';
import { whippySignature } from './support/sign.js';

/** A JSON body written out by hand, so ids can hold escapes and raw bytes exactly as given. */
const rawEnvelope = (requestIdJson: string | Buffer, type = '"message.created"'): Buffer =>
  Buffer.concat([
    Buffer.from(`{"event":${type},"request_id":"`),
    Buffer.from(requestIdJson),
    Buffer.from('","data":{"id":"m1"}}'),
  ]);

/** Sends a Buffer as it is: superagent would otherwise turn it into JSON of its own. */
const asBytes = ((bytes: Buffer) => bytes) as unknown as (body: unknown) => string;

describe('ingest limits: ids, types, encodings (issue 6)', () => {
  let t: TestApp;
  let dataDir: string;

  beforeAll(async () => {
    // A folder the service creates itself, to see the mode it gives it.
    dataDir = join(tempDir(), 'data');
    t = await startApp({ dataDir });
  });
  afterAll(() => t.close());

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    t.http
      .post('/webhooks/whippy')
      .set('content-type', 'application/json')
      .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
      .set(headers)
      .serialize(asBytes)
      .send(Buffer.isBuffer(body) ? body : Buffer.from(body));

  const stored = async (requestId: string) =>
    (await t.admin('/admin/api/events?limit=500').expect(200)).body.items.filter(
      (item: { requestId: string }) => item.requestId === requestId,
    );

  it.each([
    ['a NUL in request_id', rawEnvelope('rid-\\u0000-x'), /"request_id" contains a control character/],
    ['a control character in request_id', rawEnvelope('rid-\\u0007'), /control character/],
    ['a request_id over 255 bytes', rawEnvelope('é'.repeat(128)), /longer than 255 bytes/],
    ['a NUL in the event type', rawEnvelope(randomUUID(), '"message.created\\u0000"'), /printable ASCII/],
    ['a space in the event type', rawEnvelope(randomUUID(), '"message created"'), /printable ASCII/],
    [
      'an event type over 100 characters',
      rawEnvelope(randomUUID(), `"${'a'.repeat(101)}"`),
      /longer than 100/,
    ],
    ['a lone surrogate in request_id', rawEnvelope('rid-\\ud800'), /lone surrogate/],
    ['a lone low surrogate in request_id', rawEnvelope('rid-\\udc00-x'), /lone surrogate/],
    ['bytes that are not UTF-8', rawEnvelope(Buffer.from([0x72, 0x69, 0x64, 0x2d, 0xff])), /not valid UTF-8/],
  ])('answers 400 invalid_payload for %s and stores nothing', async (_, body, message) => {
    const before = (await t.admin('/admin/api/events?limit=500').expect(200)).body.items.length;
    const res = await post(body).expect(400);
    expect(res.body).toEqual({ error: 'invalid_payload', message: expect.stringMatching(message) });
    expect((await t.admin('/admin/api/events?limit=500').expect(200)).body.items).toHaveLength(before);
  });

  it('never merges two ids that differ only in invalid bytes or lone surrogates', async () => {
    for (const [a, b] of [
      [Buffer.from('rid-\xff', 'latin1'), Buffer.from('rid-\xfe', 'latin1')],
      [Buffer.from('rid-\\ud800'), Buffer.from('rid-\\ud801')],
    ]) {
      // Before the fix both decoded to "rid-\ufffd": the second was a 200 duplicate, never stored.
      expect((await post(rawEnvelope(a))).status).toBe(400);
      expect((await post(rawEnvelope(b))).status).toBe(400);
    }
    expect(await stored('rid-\ufffd')).toEqual([]);
  });

  it('keeps ids at the limits and any sane type, unknown ones as unknown', async () => {
    const longest = `${randomUUID()}-${'é'.repeat(109)}`; // 36 + 1 + 218 = 255 bytes
    expect(Buffer.byteLength(longest)).toBe(255);
    await post(rawEnvelope(longest)).expect(200);
    const pair = `rid-${randomUUID()}-\\ud83d\\ude80`; // an escaped surrogate pair is a real character
    const res = await post(rawEnvelope(pair, '"Invoice.Paid:v2"')).expect(200);
    const event = (await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body;
    expect(event).toMatchObject({ type: 'Invoice.Paid:v2', status: 'unknown' });
    expect(event.requestId).toBe(JSON.parse(`"${pair}"`));
    const longType = 'x'.repeat(100);
    await post(rawEnvelope(randomUUID(), `"${longType}"`)).expect(200);
  });

  it('accepts every event type Whippy sends', async () => {
    for (const type of WHIPPY_EVENT_TYPES) {
      const body = JSON.stringify({ event: type, request_id: randomUUID(), data: fixture(type) });
      expect([type, (await post(body)).status]).toEqual([type, 200]);
    }
  });

  it.each(['gzip', 'br', 'deflate', 'gzip, identity'])(
    'answers 415 for content-encoding %s without decompressing, and stores nothing',
    async (encoding) => {
      const requestId = randomUUID();
      const plain = JSON.stringify({ event: 'message.created', request_id: requestId, data: {} });
      const compressed = gzipSync(plain);
      // Signed over the compressed bytes and over the plain ones: neither gets in.
      for (const signedBody of [compressed, Buffer.from(plain)]) {
        const res = await t.http
          .post('/webhooks/whippy')
          .set('content-type', 'application/json')
          .set('content-encoding', encoding)
          .set('x-whippy-signature', whippySignature(WHIPPY_KEY, signedBody).header)
          .serialize(asBytes)
          .send(compressed)
          .expect(415);
        expect(res.body.error).toBe('unsupported_media_type');
      }
      expect(await stored(requestId)).toEqual([]);
    },
  );

  it('accepts content-encoding identity and keeps the exact bytes', async () => {
    const body = `{"event":"message.created","request_id":"${randomUUID()}","data":{"b":"caf\\u00e9"}}`;
    const res = await post(body, { 'content-encoding': 'identity' }).expect(200);
    expect((await t.admin(`/admin/api/events/${res.body.id}`).expect(200)).body.rawBody).toBe(body);
  });

  /** Sends a chunked request over a raw socket and returns the whole answer (status line to body). */
  const sendChunked = async (chunks: Buffer[], signature: string): Promise<string> => {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    socket.write(
      'POST /webhooks/whippy HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n' +
        `transfer-encoding: chunked\r\nx-whippy-signature: ${signature}\r\n\r\n`,
    );
    for (const chunk of chunks)
      socket.write(
        Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
      );
    socket.write('0\r\n\r\n');
    return new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  };

  it('keeps a body sent in chunks byte for byte, and answers 413 once chunks pass the limit', async () => {
    const requestId = randomUUID();
    const body = Buffer.from(
      `{"event":"message.created","request_id":"${requestId}","data":{"body":"${'x'.repeat(3000)}"}}`,
    );
    const parts = [body.subarray(0, 10), body.subarray(10, 2000), body.subarray(2000)];
    const ok = await sendChunked(parts, whippySignature(WHIPPY_KEY, body).header);
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
    const id = (JSON.parse(ok.slice(ok.indexOf('{'))) as { id: string }).id;
    expect((await t.admin(`/admin/api/events/${id}`).expect(200)).body.rawBody).toBe(body.toString());

    const big = Buffer.from(
      `{"event":"message.created","request_id":"${randomUUID()}","data":{"body":"${'y'.repeat(1024 * 1024)}"}}`,
    );
    const chunks = Array.from({ length: Math.ceil(big.length / 65536) }, (_, i) =>
      big.subarray(i * 65536, (i + 1) * 65536),
    );
    const refused = await sendChunked(chunks, whippySignature(WHIPPY_KEY, big).header);
    expect(refused).toMatch(/^HTTP\/1\.1 413/);
    expect(refused).toContain('{"error":"payload_too_large"}');
  });

  it('answers 404 for an unknown source before the body is sent', async () => {
    const server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    // A body of 1 MiB announced, 10 bytes of it sent: the answer must not wait for the rest.
    socket.write(
      'POST /webhooks/nowhere HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-length: 1048576\r\n\r\n{"event":"',
    );
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\r\n\r\n')) resolve(text);
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error('no answer while the body was still unsent')), 5000).unref();
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
  });

  it('creates the data folder 0700 and the database files 0600', async () => {
    await post(JSON.stringify({ event: 'lead.new', request_id: randomUUID(), data: {} })).expect(200);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of ['switchyard.db', 'switchyard.db-wal', 'switchyard.db-shm']) {
      expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
    }
  });
});
