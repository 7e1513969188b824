import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './support/app.js';
import { fixture } from './support/events.js';
import { spawnService } from './support/service.js';
import { whippySignature } from './support/sign.js';

const KEY = 'process-test-key';
const ADMIN = 'process-admin';

async function send(url: string, key: string): Promise<{ status: number; body: { id?: string } }> {
  const body = JSON.stringify({
    event: 'message.created',
    request_id: randomUUID(),
    data: fixture('message.created'),
  });
  const res = await fetch(`${url}/webhooks/whippy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-whippy-signature': whippySignature(key, body).header },
    body,
  });
  return { status: res.status, body: (await res.json()) as { id?: string } };
}

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
      expect((await send(service.url, key)).status).toBe(200);
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
          const res = await send(first.url, KEY);
          if (res.status === 200 && res.body.id) acknowledged.push(res.body.id);
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
});
