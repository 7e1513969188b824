import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closedPortUrl } from '../../../test/support/relay-receiver.js';
import { PermanentFailure, RetryLater } from '../bus/delivery-errors.js';
import { OutboundClient, RETRY_AFTER_FLOOR_MS } from './outbound.client.js';
import { retryAfterMs } from './retry-after.js';
import { shownUrl } from './shown-url.js';

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP server answering from a script, keeping what it received. */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private readonly script: Answer[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = this.script.shift() ?? { status: 200, body: '{"ok":true}' };
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });

  static async start(): Promise<ScriptedServer> {
    const server = new ScriptedServer();
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const TOKEN = 'pat-na1-11111111-2222-3333-4444-555555555555';

describe(OutboundClient.name, () => {
  let server: ScriptedServer;
  let client: OutboundClient;

  beforeEach(async () => {
    server = await ScriptedServer.start();
    client = new OutboundClient({
      name: 'Example',
      baseUrl: `${server.origin}/api/v3`,
      timeoutMs: 500,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  });
  afterEach(() => server.close());

  const failure = async (promise: Promise<unknown>): Promise<Error> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error('expected the request to fail');
    return error;
  };

  it('sends JSON with the client headers to a path under the base URL and reads the answer', async () => {
    server.answer({ status: 201, body: '{"id":"42"}' });
    const response = await client.request({ url: 'objects/contacts', json: { a: 1 }, query: { limit: 5 } });
    expect(response.status).toBe(201);
    expect(response.json()).toEqual({ id: '42' });
    const [seen] = server.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v3/objects/contacts?limit=5', body: '{"a":1}' });
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('waits as long as a 429 Retry-After in seconds says', async () => {
    server.answer({ status: 429, headers: { 'retry-after': '7' } });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBe(7000);
    expect(error.message).toContain('429');
  });

  it('reads a Retry-After HTTP date', async () => {
    server.answer({ status: 429, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBeGreaterThan(28_000);
    expect((error as RetryLater).delayMs).toBeLessThanOrEqual(30_000);
  });

  it.each([['0'], [new Date(Date.now() - 60_000).toUTCString()]])(
    'waits a small floor when Retry-After is %p',
    async (value) => {
      server.answer({ status: 429, headers: { 'retry-after': value } });
      const error = await failure(client.request({ url: 'x' }));
      expect(error).toBeInstanceOf(RetryLater);
      expect((error as RetryLater).delayMs).toBe(RETRY_AFTER_FLOOR_MS);
    },
  );

  it('honours Retry-After on a 503 too', async () => {
    server.answer({ status: 503, headers: { 'retry-after': '3' }, body: 'maintenance' });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBe(3000);
  });

  it('retries with backoff on a 429 without Retry-After', async () => {
    server.answer({ status: 429, body: 'slow down' });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).not.toBeInstanceOf(RetryLater);
    expect(error).not.toBeInstanceOf(PermanentFailure);
  });

  it.each([
    [408, 'request timeout'],
    [500, 'database is down'],
    [502, 'bad gateway'],
  ])('retries with backoff on a %i, naming the status and the text', async (status, text) => {
    server.answer({ status, body: text });
    const error = await failure(client.request({ url: 'x', what: 'read things' }));
    expect(error).not.toBeInstanceOf(RetryLater);
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain(`Example read things (GET ${server.origin}/api/…) answered ${status}`);
    expect(error.message).toContain(text);
  });

  it("gives up on another 4xx, keeping the API's own message, trimmed", async () => {
    server.answer({
      status: 400,
      body: JSON.stringify({
        status: 'error',
        message: '  Property values were not valid:\n  hs_timestamp is required  ',
        correlationId: 'c-1',
        category: 'VALIDATION_ERROR',
      }),
    });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(error.message).toMatch(
      /answered 400 Bad Request: Property values were not valid: hs_timestamp is required$/,
    );
  });

  it('masks the emails and phone numbers an API echoes back', async () => {
    server.answer({
      status: 400,
      body: '{"message":"jordan.rivera@example.com is not a valid email; +1 (555) 555-0123 is taken"}',
    });
    const error = await failure(client.request({ url: 'x' }));
    expect(error.message).toContain('<email> is not a valid email; <phone> is taken');
    // Not /555/ alone: the fake server's random port may hold it (127.0.0.1:36555 did).
    expect(error.message).not.toMatch(/jordan|example\.com|\(555\)|555-0123/);
  });

  it('keeps about 500 characters of a long text answer', async () => {
    server.answer({ status: 422, body: 'x'.repeat(100_000) });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('x'.repeat(500));
    expect(error.message.length).toBeLessThan(700);
  });

  it('hands back the statuses a caller accepts instead of throwing', async () => {
    server.answer({ status: 409, body: '{"message":"Contact already exists. Existing ID: 901"}' });
    const response = await client.request({ url: 'x', json: {}, accept: [409] });
    expect(response.status).toBe(409);
    expect(response.json<{ message: string }>()?.message).toContain('Existing ID: 901');
  });

  it('gives up on a request without an answer after timeoutMs, and retries', async () => {
    server.answer('hang');
    const error = await failure(client.request({ url: 'x' }));
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('no answer within 500 ms');
  });

  it("stops when the delivery's signal aborts", async () => {
    server.answer('hang');
    const controller = new AbortController();
    const pending = client.request({ url: 'x', signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(new Error('service stopping')), 50);
    const error = await failure(pending);
    expect(error.message).toContain('aborted: service stopping');
  });

  it('retries a refused connection, naming the cause', async () => {
    client = new OutboundClient({ name: 'Example', baseUrl: await closedPortUrl(), timeoutMs: 500 });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('does not follow a redirect, and retries', async () => {
    server.answer({ status: 302, headers: { location: 'https://elsewhere.example/login?next=secret' } });
    const error = await failure(client.request({ url: 'x' }));
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('(to https://elsewhere.example/login)');
    expect(error.message).not.toContain('next=secret');
    expect(server.seen).toHaveLength(1);
  });

  it('never shows the token, the query, credentials or a path secret in an error', async () => {
    server.answer({ status: 401, body: `{"message":"token ${TOKEN} is expired"}` });
    const slack = new OutboundClient({ name: 'Slack', timeoutMs: 500 });
    const unauthorized = await failure(client.request({ url: 'x', query: { hapikey: 'k-123' } }));
    expect(unauthorized).toBeInstanceOf(PermanentFailure);
    expect(unauthorized.message).toContain('token *** is expired');
    expect(unauthorized.message).not.toContain(TOKEN);
    expect(unauthorized.message).not.toContain('k-123');

    server.answer({ status: 404, body: 'no_service' });
    const hook = `${server.origin}/services/T000/B000/XXXXSECRETXXXX`;
    const notFound = await failure(slack.request({ url: hook, json: { text: 'hi' } }));
    expect(notFound.message).toContain(`${server.origin}/services/…`);
    expect(notFound.message).not.toContain('XXXXSECRETXXXX');
    expect(notFound.message).toContain('no_service');

    server.answer({ status: 500 });
    const withUser = `${server.origin.replace('http://', 'http://user:pa55word@')}/hook`;
    const failed = await failure(slack.request({ url: withUser }));
    expect(failed.message).not.toContain('pa55word');
    expect(server.seen[2].headers.authorization).toBe(
      `Basic ${Buffer.from('user:pa55word').toString('base64')}`,
    );
  });

  it('shows a configured label instead of the URL', async () => {
    const slack = new OutboundClient({ name: 'Slack', label: 'the incoming webhook', timeoutMs: 500 });
    server.answer({ status: 500 });
    const error = await failure(slack.request({ url: `${server.origin}/services/T/B/SECRET` }));
    expect(error.message).toContain('Slack (GET the incoming webhook) answered 500');
    expect(error.message).not.toContain(server.origin);
  });
});

describe(retryAfterMs.name, () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it.each([
    ['2', 2000],
    ['0', 0],
    ['Wed, 01 May 2024 12:00:05 GMT', 5000],
    ['Wed, 01 May 2024 11:59:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
    ['-1', undefined],
  ])('reads %p as %p ms', (value, expected) => {
    expect(retryAfterMs(value, now)).toBe(expected);
  });
});

describe(shownUrl.name, () => {
  it.each([
    ['https://api.hubapi.com/crm/v3/objects/contacts?archived=false', 'https://api.hubapi.com/crm/…'],
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'https://hooks.slack.com/services/…'],
    ['https://user:secret@example.com/hook', 'https://example.com/hook'],
    ['https://example.com/?token=1', 'https://example.com'],
  ])('shows %s as %s', (url, shown) => {
    expect(shownUrl(url)).toBe(shown);
  });
});
