import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { configDirWith, eventually, tempDir } from './support/app.js';
import { fixture } from './support/events.js';
import { freePort, RunningService, spawnService } from './support/service.js';
import { whippySignature } from './support/sign.js';

const KEY = 'backlog-test-key';
const SECRET = `whsec_${Buffer.from('backlog relay secret of 32 bytes').toString('base64')}`;
/**
 * The figure is 100,000 events (200,000 waiting deliveries): on this 2-core machine,
 * shared with other work, this test took 16 minutes with BACKLOG_EVENTS=100000 (most of it
 * receiving them at ~120 events/s while every delivery was retried, then 4 to 5 minutes to
 * deliver them once the targets were back), RSS at most 42 MiB over idle during the burst
 * and 103 MiB after the restart. CI sends BACKLOG_EVENTS (default 40,000: 80,000 waiting
 * deliveries, forty times each subscriber's in-memory window, paged from the store before
 * and after the restart): 4 minutes here, up to about 7 on a busier machine.
 */
const EVENTS = Number(process.env.BACKLOG_EVENTS ?? 40_000);
/** Bounds for the waits below, scaled to the backlog (generous: a shared CI machine). */
const WAIT_MS = 60_000 + EVENTS * 15;
const TEST_MS = 4 * WAIT_MS;
const MIB = 1024 * 1024;
const BOUND = 150 * MIB;
const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

/** Resident memory of a process (Linux). */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** The highest RSS of a process, sampled until stopped. */
function sampleRss(pid: number) {
  let max = 0;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rss(pid));
    } catch {
      // the process has ended
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/**
 * The store's unfinished deliveries, all subscribers together (the backlog gauge). Read at
 * most twice a second: each scrape counts the backlog in the store, which with tens of
 * thousands of rows, polled back to back, would slow the service it measures.
 */
async function backlog(service: RunningService): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('switchyard_delivery_backlog{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function send(url: string, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        next++;
        const body = JSON.stringify({
          event: 'message.created',
          request_id: randomUUID(),
          data: fixture('message.created'),
        });
        const res = await fetch(`${url}/webhooks/whippy`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-whippy-signature': whippySignature(KEY, body).header,
          },
          body,
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    }),
  );
}

/**
 * With every target down, the waiting deliveries live in the store, not in the process: they
 * are paged in a window at a time before and after a restart, the service's memory stays
 * within 150 MiB of its idle size throughout, and once the targets are back every delivery
 * succeeds.
 */
describe('a backlog of deliveries while the targets are down', () => {
  let dataDir: string;
  let target: Server | undefined;
  let service: RunningService | undefined;
  afterEach(async () => {
    if (service && service.process.exitCode === null && service.process.signalCode === null) {
      service.process.kill('SIGKILL');
      await service.exited;
    }
    await new Promise((resolve) => (target ? target.close(resolve) : resolve(undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'keeps its memory within 150 MiB of idle through the backlog and a restart, and delivers all of it once the targets return',
    async () => {
      dataDir = tempDir();
      const port = await freePort(); // nothing listens here until the targets come back
      const env = {
        APP_ENV: 'test',
        CONFIG_DIR: configDirWith(
          [
            'log:\n  level: warn',
            'delivery:\n  maxAttempts: 1000\n  concurrency: 50\n  backoff: { initialMs: 1000, maxMs: 8000, jitter: true }',
            'relay:\n  targets:',
            ...['billing', 'crm'].map(
              (name) =>
                `    ${name}:\n      url: http://127.0.0.1:${port}/${name}\n      secret: ${SECRET}\n      events: [message.created]`,
            ),
          ].join('\n') + '\n',
        ),
        DATA_DIR: dataDir,
        WHIPPY_SIGNING_KEYS: KEY,
        ADMIN_TOKEN: 'backlog-admin',
      };

      service = await spawnService(env);
      await send(service.url, 200); // warm: every code path has run once
      await eventually(async () => (await backlog(service!)) === 400, 20_000);
      const idle = rss(service.process.pid!);
      let sampler = sampleRss(service.process.pid!);
      await send(service.url, EVENTS);
      await eventually(async () => (await backlog(service!)) === 2 * (EVENTS + 200), WAIT_MS);
      // What the backlog leaves: the service retrying it for a while, every event stored.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const burst = sampler.stop();
      console.log(
        `RSS idle ${mib(idle)}, peak while receiving ${EVENTS} events and retrying them ${mib(burst)}`,
      );
      expect(burst - idle).toBeLessThanOrEqual(BOUND);

      service.process.kill('SIGTERM');
      await service.exited;
      service = await spawnService(env);
      const idleAgain = rss(service.process.pid!);
      sampler = sampleRss(service.process.pid!);
      // After the restart the service runs the backlog's retries again, paging it from the store,
      // then delivers it all: its memory is sampled until the backlog is gone.
      await new Promise((resolve) => setTimeout(resolve, 10_000));

      const seen = new Set<string>();
      target = createServer((req, res) => {
        seen.add(String(req.headers['webhook-id']));
        req.resume();
        req.on('end', () => res.writeHead(200).end('ok'));
      });
      await new Promise<void>((resolve) => target!.listen(port, '127.0.0.1', resolve));
      try {
        await eventually(async () => (await backlog(service!)) === 0, WAIT_MS);
        const afterRestart = sampler.stop();
        console.log(
          `RSS after the restart: idle ${mib(idleAgain)}, peak while retrying and delivering ${mib(afterRestart)}`,
        );
        expect(afterRestart - Math.max(idle, idleAgain)).toBeLessThanOrEqual(BOUND);
        expect(seen.size).toBe(2 * (EVENTS + 200));
      } finally {
        service.process.kill('SIGTERM');
        await service.exited;
      }
    },
    TEST_MS,
  );
});
