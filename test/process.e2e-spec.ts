import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configDirWith, eventually, tempDir } from './support/app.js';
import { RelayReceiver } from './support/relay-receiver.js';
import { sendSigned, spawnService } from './support/service.js';

const KEY = 'process-test-key';
const ADMIN = 'process-admin';

describe('the service process', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = tempDir()));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start in production without WHIPPY_SIGNING_KEYS and says so', async () => {
    const service = await spawnService({ APP_ENV: 'production', DATA_DIR: dataDir }, { waitReady: false });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('sources.whippy.keys: no signing key; set WHIPPY_SIGNING_KEYS');
  });

  it('in development generates a key, prints it with how to use it, and accepts events signed with it', async () => {
    const service = await spawnService({ APP_ENV: 'development', DATA_DIR: dataDir });
    try {
      const key = readFileSync(join(dataDir, 'signing-key.whippy'), 'utf8').trim();
      expect(service.output()).toContain(key);
      expect(service.output()).toContain('npx switchyard send message.created');
      expect((await sendSigned(service.url, key)).status).toBe(200);
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
    }
  });

  it('loses no acknowledged event when killed with SIGKILL under load', async () => {
    const env = { APP_ENV: 'production', DATA_DIR: dataDir, WHIPPY_SIGNING_KEYS: KEY, ADMIN_TOKEN: ADMIN };
    const first = await spawnService(env);
    const acknowledged: string[] = [];
    let stop = false;
    // Several senders keep requests in flight; the kill lands while commits are under way.
    const senders = Array.from({ length: 8 }, async () => {
      while (!stop) {
        try {
          const res = await sendSigned(first.url, KEY);
          if (res.status === 200 && res.id) acknowledged.push(res.id);
        } catch {
          return;
        }
      }
    });
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    first.process.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    await first.exited;

    const second = await spawnService(env);
    try {
      const stored = new Set<string>();
      let cursor = '';
      do {
        const res = await fetch(
          `${second.url}/admin/api/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
          {
            headers: { authorization: `Bearer ${ADMIN}` },
          },
        );
        const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
        page.items.forEach((item) => stored.add(item.id));
        cursor = page.nextCursor ?? '';
      } while (cursor);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      second.process.kill('SIGTERM');
      await second.exited;
    }
  });

  it('resumes a delivery that was running when the process was killed', async () => {
    const secret = `whsec_${Buffer.from('process test relay secret 32 byt').toString('base64')}`;
    const receiver = await RelayReceiver.start(secret);
    receiver.answer('hang');
    const configDir = configDirWith(
      `relay:\n  targets:\n    crm:\n      url: ${receiver.url('/crm')}\n      secret: ${secret}\n      events: [message.created]\n`,
    );
    const env = {
      APP_ENV: 'test',
      CONFIG_DIR: configDir,
      DATA_DIR: dataDir,
      WHIPPY_SIGNING_KEYS: KEY,
      ADMIN_TOKEN: ADMIN,
    };
    try {
      const first = await spawnService(env);
      const sent = await sendSigned(first.url, KEY);
      expect(sent.status).toBe(200);
      // The relay's POST is in flight (the receiver never answers it) when the process dies.
      while (receiver.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      first.process.kill('SIGKILL');
      await first.exited;

      const second = await spawnService(env);
      try {
        while (receiver.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
        const [interrupted, resumed] = receiver.requests;
        expect(resumed.problems).toEqual([]);
        expect(resumed.headers['webhook-id']).toBe(`${sent.id}:relay.crm`);
        expect(resumed.headers['webhook-id']).toBe(interrupted.headers['webhook-id']);
        const deliveries = await eventually(async () => {
          const res = await fetch(`${second.url}/admin/api/events/${sent.id}`, {
            headers: { authorization: `Bearer ${ADMIN}` },
          });
          const event = (await res.json()) as { deliveries: { status: string }[] };
          return event.deliveries[0]?.status === 'succeeded' && event.deliveries;
        });
        expect(deliveries).toHaveLength(1);
        expect(deliveries[0]).toMatchObject({
          subscriberId: 'relay.crm',
          status: 'succeeded',
          attempts: 2,
        });
      } finally {
        second.process.kill('SIGTERM');
        await second.exited;
      }
    } finally {
      await receiver.close();
    }
  });
});
