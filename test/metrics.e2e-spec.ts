import { configDirWith, eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { envelope } from './support/events.js';
import { sample } from './support/metrics.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';
import { whippySignature } from './support/sign.js';

/** Two probe subscribers on message.created: test.steady succeeds, test.flaky always throws. */
const SETTINGS = `
delivery:
  maxAttempts: 2
  backoff: { initialMs: 20, maxMs: 40, jitter: false }
subscribers:
  test.everything: { enabled: false }
  test.ordered: { enabled: false }
  test.contacts: { enabled: false }
  ProbeSubscribers.onConversationCreated: { enabled: false }
`;

describe('GET /metrics', () => {
  let t: TestApp;
  let probe: Probe;

  beforeEach(async () => {
    t = await startApp({ configDir: configDirWith(SETTINGS), modules: [ProbeModule] });
    probe = t.app.get(Probe);
    probe.on('test.flaky', () => {
      throw new Error('the flaky target is down');
    });
  });
  afterEach(() => t.close());

  const scrape = async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.text;
  };
  const post = (body: string, headers: Record<string, string>, source = 'whippy') =>
    t.http.post(`/webhooks/${source}`).set('content-type', 'application/json').set(headers).send(body);

  it('counts what real traffic did, by exactly the right amounts', async () => {
    const before = await scrape();
    const requests = (labels: Record<string, string>) =>
      sample(after, 'switchyard_webhook_requests_total', labels) -
      sample(before, 'switchyard_webhook_requests_total', labels);

    const bodies = [envelope('message.created'), envelope('message.created'), envelope('message.created')];
    for (const body of bodies)
      await post(body, { 'x-whippy-signature': whippySignature(WHIPPY_KEY, body).header }).expect(200);
    const again = await post(bodies[0], {
      'x-whippy-signature': whippySignature(WHIPPY_KEY, bodies[0]).header,
    }).expect(200);
    expect(again.body.duplicate).toBe(true);
    const forged = envelope('message.created');
    await post(forged, { 'x-whippy-signature': whippySignature('not-the-key', forged).header }).expect(401);
    await post(forged, {}).expect(401);
    await t.http.post('/webhooks/whippy').set('content-type', 'text/plain').send('hello').expect(415);
    await post(
      forged,
      { 'x-whippy-signature': whippySignature(WHIPPY_KEY, forged).header },
      'nowhere',
    ).expect(404);

    await eventually(async () => {
      const text = await scrape();
      return (
        sample(text, 'switchyard_delivery_attempts_total', { subscriber: 'test.flaky', outcome: 'dead' }) ===
          3 &&
        sample(text, 'switchyard_delivery_attempts_total', {
          subscriber: 'test.steady',
          outcome: 'succeeded',
        }) === 3
      );
    });
    const after = await scrape();

    const message = { source: 'whippy', type: 'message.created' };
    expect(requests({ ...message, outcome: 'stored', status: '200' })).toBe(3);
    expect(requests({ ...message, outcome: 'duplicate', status: '200' })).toBe(1);
    expect(requests({ source: 'whippy', type: '', outcome: 'rejected', status: '401' })).toBe(2);
    expect(requests({ source: '(unknown)', type: '', outcome: 'rejected', status: '404' })).toBe(1);
    expect(requests({ source: 'whippy', type: '', outcome: 'rejected', status: '415' })).toBe(1);

    const failures = (reason: string, cause: string) =>
      sample(after, 'switchyard_verification_failures_total', { source: 'whippy', reason, cause });
    expect(failures('no_matching_signature', 'wrong_key')).toBe(1);
    expect(failures('missing_header', 'missing_header')).toBe(1);

    expect(
      sample(after, 'switchyard_webhook_duration_seconds_count', { source: 'whippy', outcome: 'stored' }),
    ).toBe(3);
    expect(
      sample(after, 'switchyard_webhook_duration_seconds_count', { source: 'whippy', outcome: 'rejected' }),
    ).toBe(3);

    const attempts = (subscriber: string, outcome: string) =>
      sample(after, 'switchyard_delivery_attempts_total', { subscriber, outcome });
    expect(attempts('test.steady', 'succeeded')).toBe(3);
    expect(attempts('test.steady', 'failed')).toBe(0);
    expect(attempts('test.flaky', 'failed')).toBe(3);
    expect(attempts('test.flaky', 'dead')).toBe(3);
    expect(
      sample(after, 'switchyard_delivery_duration_seconds_count', {
        subscriber: 'test.flaky',
        outcome: 'dead',
      }),
    ).toBe(3);
    expect(probe.of('test.flaky')).toHaveLength(6);

    // Every new event and every delivery change went through a commit.
    expect(
      sample(after, 'switchyard_store_commit_duration_seconds_count', { outcome: 'committed' }),
    ).toBeGreaterThan(0);
    expect(
      sample(after, 'switchyard_store_statements_total', { outcome: 'committed' }),
    ).toBeGreaterThanOrEqual(4 + 3 * 2);
    expect(sample(after, 'switchyard_delivery_backlog', { subscriber: 'test.steady' })).toBe(0);
    expect(after).not.toContain(WHIPPY_KEY);
  });

  it('reads the backlog and the age of the oldest unfinished delivery from the store on scrape', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    probe.on('test.steady', () => gate);
    await t.ingest('message.created');
    await t.ingest('message.created');
    await eventually(() => probe.of('test.steady').length === 2);
    // The deliveries' rows are committed by the writer; the scrape reads what is committed.
    const busy = await eventually(async () => {
      const text = await scrape();
      return sample(text, 'switchyard_delivery_backlog', { subscriber: 'test.steady' }) === 2 && text;
    });
    expect(sample(busy, 'switchyard_delivery_in_process', { subscriber: 'test.steady' })).toBe(2);
    expect(
      sample(busy, 'switchyard_delivery_oldest_unfinished_age_seconds', { subscriber: 'test.steady' }),
    ).toBeGreaterThan(0);
    release();
    await eventually(
      async () => sample(await scrape(), 'switchyard_delivery_backlog', { subscriber: 'test.steady' }) === 0,
    );
    const idle = await scrape();
    expect(
      sample(idle, 'switchyard_delivery_oldest_unfinished_age_seconds', { subscriber: 'test.steady' }),
    ).toBe(0);
  });
});
