import { allOf, describeWith, freshDatabase, postgres, redis } from './support/external.js';
import {
  Cluster,
  eachLimited,
  post,
  relayConfig,
  signedEvent,
  StoreProbe,
  waitFor,
} from './support/cluster.js';
import { DeliveryRecorder } from './support/delivery-recorder.js';
import { RedisServer } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

const needed = allOf(await postgres(), await redis());

interface Health {
  details: Record<string, { status: string; reachable?: boolean }>;
}

/** Redis or PostgreSQL going away under load (issue 10 "Faults"). */
describeWith(needed, 'api and worker processes when Redis or PostgreSQL goes away', () => {
  let database: { url: string; drop(): Promise<void> };
  let redisServer: RedisServer;
  let recorder: DeliveryRecorder;
  let store: StoreProbe;
  let cluster: Cluster | undefined;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    database = await freshDatabase(process.env.TEST_DATABASE_URL!);
    redisServer = await RedisServer.start();
    recorder = await DeliveryRecorder.start();
    store = await StoreProbe.open(database.url);
  });
  afterEach(async () => {
    await cluster?.stop();
    await proxy?.close();
    await redisServer.stop();
    await recorder.close();
    await store.close();
    await database.drop();
  });

  const allDelivered = (ids: string[]) =>
    waitFor(
      'every acknowledged event delivered',
      async () =>
        (await store.count(
          `select count(*) from deliveries where status = 'succeeded' and event_id = any($1)`,
          [ids],
        )) === ids.length,
      180_000,
    );

  it('Redis stopped and started again under load: every event is acknowledged and, once it is back, delivered', async () => {
    cluster = new Cluster(
      { DATABASE_URL: database.url, REDIS_URL: redisServer.url },
      relayConfig(recorder.url()),
    );
    const [api, worker] = await Promise.all([cluster.start('api'), cluster.start('worker')]);
    const acknowledged: string[] = [];
    const refused: string[] = [];
    const keys = Array.from({ length: 10 }, (_, i) => `contact-${i}`);
    let sent = 0;
    let outage: Promise<void> | undefined;
    await eachLimited(keys, 5, async (key) => {
      for (let i = 0; i < 30; i++) {
        // Redis goes away (its jobs with it: nothing is kept on disk) a third of the way in.
        if (++sent === 100) outage = redisServer.stop();
        const answer = await post(api.url, signedEvent(key).body);
        if (answer.status === 200) acknowledged.push(answer.id!);
        else refused.push(String(answer.status));
      }
    });
    await outage;
    expect(refused).toEqual([]);
    // While it is away: the api is still ready (it stores and acknowledges), the worker is not.
    const apiReady = await fetch(`${api.url}/health/ready`);
    expect(apiReady.status).toBe(200);
    expect(((await apiReady.json()) as Health).details.queue).toMatchObject({
      status: 'up',
      reachable: false,
    });
    const workerReady = await fetch(`${worker.url}/health/ready`);
    expect(workerReady.status).toBe(503);
    expect(((await workerReady.json()) as Health).details.queue.status).toBe('down');

    await redisServer.restart();
    await allDelivered(acknowledged);
    expect(acknowledged).toHaveLength(300);
    expect(await store.count('select count(*) from events')).toBe(300);
    const heard = new Set(recorder.calls.map((call) => call.eventId));
    expect(acknowledged.filter((id) => !heard.has(id))).toEqual([]);
    expect(recorder.overlaps).toEqual([]);
  }, 300_000);

  it('on the queue, a failing target is retried with backoff until it answers, and a dead delivery retried through an api runs again on a worker', async () => {
    cluster = new Cluster(
      { DATABASE_URL: database.url, REDIS_URL: redisServer.url, ADMIN_TOKEN: 'admin-token' },
      relayConfig(recorder.url()),
    );
    const [api] = await Promise.all([cluster.start('api'), cluster.start('worker')]);
    // Three 503s (retried), then a 400 (permanent: dead), then 200s.
    recorder.answer(503, 503, 503);
    const retried = (await post(api.url, signedEvent('contact-a').body)).id!;
    await allDelivered([retried]);
    expect(recorder.calls.filter((call) => call.eventId === retried)).toHaveLength(4);
    expect(await store.count(`select count(*) from delivery_attempts where outcome = 'failed'`)).toBe(3);

    recorder.answer(400);
    const dead = (await post(api.url, signedEvent('contact-b').body)).id!;
    await waitFor(
      'the delivery is dead',
      async () =>
        (await store.count(`select count(*) from deliveries where status = 'dead' and event_id = $1`, [
          dead,
        ])) === 1,
      60_000,
    );
    const [row] = await store.rows<{ id: string }>('select id from deliveries where event_id = $1', [dead]);
    const retry = await fetch(`${api.url}/admin/api/deliveries/${row.id}/retry`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(retry.status).toBeLessThan(300);
    await allDelivered([dead]);
    expect(recorder.calls.filter((call) => call.eventId === dead)).toHaveLength(2);
  }, 300_000);

  it('SIGTERM of a worker while its handlers run: it exits 0 and hands them back; the other worker delivers them', async () => {
    const slow = await DeliveryRecorder.start(3000);
    try {
      cluster = new Cluster(
        { DATABASE_URL: database.url, REDIS_URL: redisServer.url },
        relayConfig(slow.url()),
      );
      const [api, first] = await Promise.all([
        cluster.start('api'),
        cluster.start('worker'),
        cluster.start('worker'),
      ]);
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await post(api.url, signedEvent(`contact-${i}`).body)).id!);
      await waitFor(
        'handlers running',
        async () => slow.calls.some((call) => call.endedAt === undefined),
        60_000,
      );
      first.process.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await allDelivered(ids);
      // Handed back, not cut off: no attempt counts as interrupted, no delivery as crashed.
      expect(await store.count(`select count(*) from delivery_attempts where outcome = 'interrupted'`)).toBe(
        0,
      );
      expect(await store.count('select count(*) from deliveries where interruptions > 0')).toBe(0);
    } finally {
      await slow.close();
    }
  }, 300_000);

  it('PostgreSQL cut: 503 with Retry-After and nothing acknowledged; once it is back, everything is stored and delivered', async () => {
    const target = new URL(database.url);
    proxy = await TcpProxy.start(target.hostname, Number(target.port) || 5432);
    cluster = new Cluster(
      { DATABASE_URL: proxy.urlFor(database.url), REDIS_URL: redisServer.url },
      relayConfig(recorder.url()),
    );
    const [api] = await Promise.all([cluster.start('api'), cluster.start('worker')]);
    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await post(api.url, signedEvent(`contact-${i % 4}`).body);
      expect(answer.status).toBe(200);
      acknowledged.push(answer.id!);
    }

    proxy.cut();
    const refused: string[] = [];
    const during: { status: number; retryAfter?: string | null }[] = [];
    for (let i = 0; i < 10; i++) {
      const { body } = signedEvent(`contact-${i % 4}`);
      const answer = await post(api.url, body);
      during.push({ status: answer.status, retryAfter: answer.retryAfter });
      refused.push(body);
    }
    expect(
      during.filter((answer) => answer.status !== 503 || !/^\d+$/.test(answer.retryAfter ?? '')),
    ).toEqual([]);
    expect((await fetch(`${api.url}/health/ready`)).status).toBe(503);

    proxy.restore();
    // Whippy retries what was refused: each is acknowledged once the store is back.
    for (const body of refused) {
      let answer = await post(api.url, body);
      const deadline = Date.now() + 60_000;
      while (answer.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        answer = await post(api.url, body);
      }
      expect(answer.status).toBe(200);
      acknowledged.push(answer.id!);
    }
    await allDelivered(acknowledged);
    expect(await store.count('select count(*) from events')).toBe(30);
    const heard = new Set(recorder.calls.map((call) => call.eventId));
    expect(acknowledged.filter((id) => !heard.has(id))).toEqual([]);
  }, 300_000);
});
