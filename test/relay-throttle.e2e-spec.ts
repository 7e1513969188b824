import { RelayModule } from '../src/integrations/relay/relay.module.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { Answer, RelayReceiver } from './support/relay-receiver.js';

const SECRET = `whsec_${Buffer.from('throttle relay secret, 32 bytes.').toString('base64')}`;

interface DeliveryRow {
  subscriberId: string;
  status: string;
  attempts: number;
  throttles: number;
}

/**
 * A target that throttles a burst: 429 and 503 with Retry-After in every form (seconds, an
 * HTTP date, 0, a date in the past). Throttled attempts do not use up maxAttempts (2 here),
 * so every delivery ends succeeded once the target lets it through.
 */
describe('relay to a target that throttles a burst', () => {
  let t: TestApp;
  let target: RelayReceiver;

  beforeEach(async () => {
    target = await RelayReceiver.start(SECRET);
    t = await startApp({
      configDir: configDirWith(`
delivery:
  maxAttempts: 2
  backoff: { initialMs: 100, maxMs: 3000, jitter: true }
relay:
  targets:
    throttled:
      url: ${target.url()}
      secret: ${SECRET}
      events: [message.created]
`),
      modules: [RelayModule],
    });
  });
  afterEach(async () => {
    await t.close();
    await target.close();
  });

  it('ends every delivery of a burst of 40 succeeded, throttled by 429 and 503 with Retry-After', async () => {
    const inASecond = new Date(Date.now() + 1000).toUTCString();
    const anHourAgo = new Date(Date.now() - 3_600_000).toUTCString();
    const throttles: Answer[] = [
      { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' },
      { status: 503, headers: { 'retry-after': inASecond }, body: 'maintenance' },
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 503, headers: { 'retry-after': anHourAgo } },
    ];
    // The first 100 requests are throttled, whichever delivery they belong to.
    target.answer(...Array.from({ length: 100 }, (_, i) => throttles[i % throttles.length]));

    const ids = await Promise.all(Array.from({ length: 40 }, () => t.ingest('message.created')));
    const rows = await eventually(async () => {
      const all: DeliveryRow[] = [];
      for (const id of ids) {
        const [delivery] = (await t.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries;
        if (delivery?.status !== 'succeeded') return false;
        all.push(delivery);
      }
      return all;
    }, 40_000);

    expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    expect(rows.reduce((sum, r) => sum + r.throttles, 0)).toBe(100);
    expect(Math.max(...rows.map((r) => r.attempts))).toBeGreaterThan(2);
    expect(target.requests.filter((r) => r.problems.length)).toEqual([]);
    // Each delivery reached the target with a 2xx exactly once.
    const ok = target.requests.slice(100).map((r) => r.headers['webhook-id']);
    expect(new Set(ok).size).toBe(40);
    expect(ok).toHaveLength(40);
  }, 60_000);
});
