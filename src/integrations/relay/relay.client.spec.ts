import { Logger } from '@nestjs/common';
import { closedPortUrl, RelayReceiver } from '../../../test/support/relay-receiver.js';
import { PermanentFailure, RetryLater } from '../../platform/bus/index.js';
import { RelayClient, RelayPayload } from './relay.client.js';

const SECRET = `whsec_${Buffer.from('relay-client-spec-secret-0123456789').toString('base64')}`;

const payload: RelayPayload = {
  id: '01J0000000000000000000000A',
  type: 'message.created',
  source: 'whippy',
  receivedAt: '2024-05-01T12:00:00.000Z',
  data: { id: 'm-1', contactId: 'c-1', body: 'Hi' },
};

const context = (signal = new AbortController().signal) => ({
  eventId: payload.id,
  subscriberId: 'relay.billing',
  idempotencyKey: `${payload.id}:relay.billing`,
  attempt: 1,
  logger: new Logger('relay.billing'),
  signal,
});

describe(RelayClient.name, () => {
  let receiver: RelayReceiver;
  let client: RelayClient;

  beforeEach(async () => {
    receiver = await RelayReceiver.start(SECRET);
    client = new RelayClient({ url: receiver.url(), secret: SECRET, timeoutMs: 500 });
  });
  afterEach(() => receiver.close());

  const send = () => client.send(payload, context());
  const rejection = async () => {
    const error = await send().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof Error)) throw new Error('expected the send to fail');
    return error;
  };

  it('POSTs the event as JSON with a Standard Webhooks signature the receiver accepts', async () => {
    await send();
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request.problems).toEqual([]);
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/hooks/whippy');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['webhook-id']).toBe(`${payload.id}:relay.billing`);
    expect(Number(request.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(request.body).toEqual(payload);
  });

  it('signs each attempt anew with the same webhook-id', async () => {
    await send();
    await send();
    const [first, second] = receiver.requests;
    expect(second.problems).toEqual([]);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  });

  it('counts a 204 as success', async () => {
    receiver.answer({ status: 204 });
    await expect(send()).resolves.toBeUndefined();
  });

  it('asks for a retry after Retry-After on a 429 that sends it', async () => {
    receiver.answer({ status: 429, headers: { 'retry-after': '2' } });
    const error = await rejection();
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBe(2000);
  });

  it('reads Retry-After as an HTTP date too', async () => {
    receiver.answer({ status: 429, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    const error = await rejection();
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).delayMs).toBeGreaterThan(28_000);
    expect((error as RetryLater).delayMs).toBeLessThanOrEqual(30_000);
  });

  it('retries with backoff on a 429 without Retry-After', async () => {
    receiver.answer({ status: 429, body: 'slow down' });
    const error = await rejection();
    expect(error).not.toBeInstanceOf(RetryLater);
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('429');
  });

  it.each([
    [408, 'request timeout'],
    [500, 'database is down'],
    [503, 'maintenance'],
  ])('retries with backoff on a %i, naming the status and the text', async (status, text) => {
    receiver.answer({ status, body: text });
    const error = await rejection();
    expect(error).not.toBeInstanceOf(RetryLater);
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain(String(status));
    expect(error.message).toContain(text);
  });

  it('gives up at once on a 400, keeping the text', async () => {
    receiver.answer({ status: 400, body: 'contact_id is required' });
    const error = await rejection();
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('400');
    expect(error.message).toContain('contact_id is required');
  });

  it('gives up at once on a 404', async () => {
    receiver.answer({ status: 404, body: 'no such route' });
    const error = await rejection();
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('404');
  });

  it('keeps about 500 characters of a long answer', async () => {
    receiver.answer({ status: 422, body: 'x'.repeat(100_000) });
    const error = await rejection();
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(error.message.length).toBeLessThan(700);
    expect(error.message).toContain('x'.repeat(500));
  });

  it('retries a target that does not answer in time', async () => {
    receiver.answer('hang');
    const started = Date.now();
    const error = await rejection();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('no answer within 500 ms');
  });

  it('stops when the delivery is aborted', async () => {
    receiver.answer('hang');
    const controller = new AbortController();
    const pending = client.send(payload, context(controller.signal));
    setTimeout(() => controller.abort(new Error('service stopping')), 50);
    await expect(pending).rejects.toThrow('aborted: service stopping');
  });

  it('retries when the connection is refused, naming the cause', async () => {
    client = new RelayClient({ url: await closedPortUrl(), secret: SECRET, timeoutMs: 500 });
    const error = await rejection();
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('does not follow a redirect, and retries', async () => {
    receiver.answer({ status: 308, headers: { location: 'https://elsewhere.example/hook' } });
    const error = await rejection();
    expect(error).not.toBeInstanceOf(PermanentFailure);
    expect(error.message).toContain('https://elsewhere.example/hook');
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps the query and the path past its first segment out of error messages', async () => {
    client = new RelayClient({
      url: `${receiver.url('/hooks/s3cr3t-path')}?token=abc`,
      secret: SECRET,
      timeoutMs: 500,
    });
    receiver.answer({ status: 500 });
    const error = await rejection();
    expect(error.message).toContain(`${receiver.url('/hooks')}/…`);
    expect(error.message).not.toContain('token=abc');
    expect(error.message).not.toContain('s3cr3t-path');
  });
});
