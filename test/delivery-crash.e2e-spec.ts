import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { configDirWith, eventually, tempDir } from './support/app.js';
import { fixture } from './support/events.js';
import { RelayReceiver } from './support/relay-receiver.js';
import { spawnService } from './support/service.js';
import { whippySignature } from './support/sign.js';

const KEY = 'crash-loop-test-key';
const ADMIN = 'crash-loop-admin';
const SECRET = `whsec_${Buffer.from('crash loop relay secret 32 bytes').toString('base64')}`;

/**
 * The built service, killed again and again while one delivery runs (as a handler that takes
 * the process down would): after a bounded number of such recoveries the delivery is dead
 * instead of running, and killing, on every start.
 */
describe('a delivery that is running whenever the process dies', () => {
  let dataDir: string;
  let receiver: RelayReceiver;
  beforeEach(async () => {
    dataDir = tempDir();
    receiver = (await RelayReceiver.start(SECRET)).always('hang');
  });
  afterEach(async () => {
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is set dead after three interrupted runs, with the reason, and the service keeps serving', async () => {
    const env = {
      APP_ENV: 'test',
      CONFIG_DIR: configDirWith(
        `relay:\n  targets:\n    crm:\n      url: ${receiver.url('/crm')}\n      secret: ${SECRET}\n      events: [message.created]\n      timeoutMs: 60000\n`,
      ),
      DATA_DIR: dataDir,
      WHIPPY_SIGNING_KEYS: KEY,
      ADMIN_TOKEN: ADMIN,
    };
    const body = JSON.stringify({
      event: 'message.created',
      request_id: randomUUID(),
      data: fixture('message.created'),
    });
    let eventId = '';
    for (let run = 1; run <= 3; run++) {
      const service = await spawnService(env);
      if (run === 1) {
        const res = await fetch(`${service.url}/webhooks/whippy`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-whippy-signature': whippySignature(KEY, body).header,
          },
          body,
        });
        expect(res.status).toBe(200);
        eventId = ((await res.json()) as { id: string }).id;
      }
      // The delivery is running (its POST hangs) when the process dies.
      await eventually(() => receiver.requests.length === run, 15_000);
      // A delivery's first attempt in the process that made it does not wait for its running
      // mark to commit (a handler that kills the process within those few ms costs one more
      // start); the mark is committed here before the kill, so each kill counts.
      if (run === 1)
        await eventually(async () => (await deliveryOf(service.url, eventId))?.status === 'running');
      service.process.kill('SIGKILL');
      await service.exited;
    }

    const last = await spawnService(env);
    try {
      const delivery = await eventually(async () => {
        const found = await deliveryOf(last.url, eventId);
        return found?.status === 'dead' && found;
      }, 15_000);
      expect(delivery.lastError).toContain('the process stopped 3 times while this delivery ran');
      // Each cut-off run is in the history; the last one is the one that made it dead.
      expect(delivery.history.map((a) => a.outcome)).toEqual(['interrupted', 'interrupted', 'dead']);
      expect(delivery.history[2].error).toContain('the process stopped 3 times');
      expect(receiver.requests).toHaveLength(3);
      expect((await fetch(`${last.url}/health/live`)).status).toBe(200);
    } finally {
      last.process.kill('SIGTERM');
      await last.exited;
    }
  }, 120_000);
});

async function deliveryOf(url: string, eventId: string) {
  const res = await fetch(`${url}/admin/api/events/${eventId}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const event = (await res.json()) as {
    deliveries: { status: string; lastError: string; history: { outcome: string; error: string }[] }[];
  };
  return event.deliveries[0];
}
