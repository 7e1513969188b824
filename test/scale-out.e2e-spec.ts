import { allOf, describeWith, freshDatabase, postgres, redis } from './support/external.js';
import {
  Answer,
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

const needed = allOf(await postgres(), await redis());

/**
 * Any number of api and worker processes on one PostgreSQL database and one Redis (DESIGN
 * §8): the relay target `sink` records every call, and whether a delivery, or two deliveries
 * of one contact, ever ran at once.
 */
describeWith(needed, 'api and worker processes on PostgreSQL and BullMQ', () => {
  let database: { url: string; drop(): Promise<void> };
  let redisServer: RedisServer;
  let recorder: DeliveryRecorder;
  let cluster: Cluster;
  let store: StoreProbe;

  beforeEach(async () => {
    database = await freshDatabase(process.env.TEST_DATABASE_URL!);
    redisServer = await RedisServer.start();
    recorder = await DeliveryRecorder.start();
    cluster = new Cluster(
      { DATABASE_URL: database.url, REDIS_URL: redisServer.url },
      relayConfig(recorder.url()),
    );
    store = await StoreProbe.open(database.url);
  });
  afterEach(async () => {
    await cluster.stop();
    await redisServer.stop();
    await recorder.close();
    await store.close();
    await database.drop();
  });

  const succeeded = (eventIds?: string[]) =>
    eventIds
      ? store.count(`select count(*) from deliveries where status = 'succeeded' and event_id = any($1)`, [
          eventIds,
        ])
      : store.count(`select count(*) from deliveries where status = 'succeeded'`);

  it('two apis and two workers: 2,000 events sent to both apis at once are stored once each and delivered once each, one at a time per key, in order', async () => {
    const [apis] = await Promise.all([
      Promise.all([cluster.start('api'), cluster.start('api')]),
      Promise.all([cluster.start('worker'), cluster.start('worker')]),
    ]);
    const keys = Array.from({ length: 40 }, (_, i) => `contact-${i}`);
    const sent = new Map<string, string[]>(keys.map((key) => [key, []]));
    const problems: string[] = [];
    // Per key one after the other (so the received order is known), keys side by side; each
    // event to both apis at once, as a retry racing the first request would.
    await eachLimited(keys, 8, async (key) => {
      for (let i = 0; i < 50; i++) {
        const { body } = signedEvent(key);
        const answers = await Promise.all(apis.map((api) => postUntilAnswered(api.url, body)));
        if (answers.some((a) => a.status !== 200) || answers[0].id !== answers[1].id)
          problems.push(`${key}#${i}: ${JSON.stringify(answers)}`);
        // A request whose answer was lost (resent, as Whippy would) may have been the one stored.
        const stored = answers.filter((a) => a.duplicate === false).length;
        if (stored > 1 || (stored === 0 && answers.every((a) => a.tries === 1)))
          problems.push(`${key}#${i}: stored ${stored} times`);
        sent.get(key)!.push(answers[0].id!);
      }
    });
    expect(problems).toEqual([]);
    const ids = [...sent.values()].flat();
    expect(new Set(ids).size).toBe(2000);

    await waitFor('every delivery succeeded', async () => (await succeeded()) === 2000, 300_000);
    expect(await store.count('select count(*) from events')).toBe(2000);
    expect(await store.count('select count(*) from deliveries')).toBe(2000);
    // Each delivery succeeded once, and the target heard no call that was not an attempt (a
    // slow machine may time an attempt out and retry it: that is an attempt of its own).
    const attempts = await store.count('select count(*) from delivery_attempts');
    if (attempts > 2000)
      process.stderr.write(
        `retried attempts: ${JSON.stringify(await store.rows(`select outcome, error, count(*) from delivery_attempts where outcome <> 'succeeded' group by 1, 2`))}\n`,
      );
    expect(recorder.overlaps).toEqual([]);
    expect(await store.count(`select count(*) from delivery_attempts where outcome = 'succeeded'`)).toBe(
      2000,
    );
    expect(recorder.calls.length).toBeLessThanOrEqual(attempts);
    expect(new Set(recorder.calls.map((call) => call.eventId))).toEqual(new Set(ids));
    for (const key of keys) expect(recorder.orderOf(key)).toEqual(sent.get(key));
  }, 420_000);

  it('kill -9 of an api and a worker while events stream in: every acknowledged event is stored and delivered', async () => {
    const apis = await Promise.all([cluster.start('api'), cluster.start('api')]);
    const workers = await Promise.all([cluster.start('worker'), cluster.start('worker')]);
    const acknowledged = new Set<string>();
    const keys = Array.from({ length: 20 }, (_, i) => `contact-${i}`);
    let sentCount = 0;
    let crashed: Promise<void> | undefined;
    await eachLimited(keys, 10, async (key) => {
      for (let i = 0; i < 30; i++) {
        const { body } = signedEvent(key);
        if (++sentCount === 200)
          crashed = Promise.all([cluster.kill(apis[0]), cluster.kill(workers[0])]).then(() => undefined);
        // Whippy retries what was not acknowledged; here at once, at the other api.
        let answer = await post(apis[i % 2].url, body);
        for (let retry = 0; answer.status !== 200 && retry < 20; retry++)
          answer = await post(apis[(i + 1 + retry) % 2].url, body);
        if (answer.status === 200) acknowledged.add(answer.id!);
      }
    });
    await crashed;
    await Promise.all([cluster.start('api'), cluster.start('worker')]);
    const ids = [...acknowledged];
    expect(ids).toHaveLength(600);

    await waitFor(
      'every acknowledged event delivered',
      async () => (await succeeded(ids)) === ids.length,
      240_000,
    );
    expect(await store.count('select count(*) from events where id = any($1)', [ids])).toBe(ids.length);
    expect(await store.count(`select count(*) from deliveries where status <> 'succeeded'`)).toBe(0);
    // No delivery missing: the target heard every acknowledged event (a cut-off one maybe twice).
    const heard = new Set(recorder.calls.map((call) => call.eventId));
    expect(ids.filter((id) => !heard.has(id))).toEqual([]);
    expect(recorder.overlaps).toEqual([]);
  }, 420_000);
});

/**
 * Sends until an answer comes back, as Whippy retries a request whose answer it never got (a
 * connection cut or a timeout on a loaded machine): at most 5 tries.
 */
async function postUntilAnswered(url: string, body: string): Promise<Answer & { tries: number }> {
  for (let tries = 1; ; tries++) {
    const answer = await post(url, body);
    if (answer.status !== 0 || tries === 5) return { ...answer, tries };
  }
}
