import { MessageCreated } from '../src/platform/events/index.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

const SETTINGS = `
delivery:
  maxAttempts: 10
  backoff: { initialMs: 300, maxMs: 1000, jitter: false }
`;

const server = await postgres();

interface DeliveryRow {
  subscriberId: string;
  status: string;
}

/**
 * Two instances of the service on one PostgreSQL database (DESIGN §8): one runs deliveries,
 * held by an advisory lock; the other receives, stores and classifies, and takes over when
 * the first stops.
 */
describeWith(server, 'two processes on one PostgreSQL database', () => {
  let database: { url: string; drop(): Promise<void> };
  let first: TestApp | undefined;
  let second: TestApp | undefined;

  const start = () =>
    startApp({
      env: { DATABASE_URL: database.url },
      configDir: configDirWith(SETTINGS),
      modules: [ProbeModule],
    });

  beforeEach(async () => {
    database = await freshDatabase(server.url!);
    first = await start();
    second = await start();
  });
  afterEach(async () => {
    await first?.close();
    await second?.close();
    await database.drop();
  });

  const deliveries = async (app: TestApp, id: string): Promise<DeliveryRow[]> =>
    (await app.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries;
  const allSucceeded = (app: TestApp, ids: string[], subscriber: string) =>
    eventually(async () => {
      for (const id of ids) {
        const found = (await deliveries(app, id)).find((d) => d.subscriberId === subscriber);
        if (found?.status !== 'succeeded') return false;
      }
      return true;
    }, 30_000);

  it('runs each delivery once, in received order per key, with events sent to both', async () => {
    const probes = [first!.app.get(Probe), second!.app.get(Probe)];
    const running = new Set<string>();
    let overlap = false;
    for (const probe of probes) {
      probe.on('test.ordered', async (event) => {
        const key = (event as MessageCreated).data.contactId!;
        if (running.has(key)) overlap = true;
        running.add(key);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        running.delete(key);
      });
    }
    const apps = [first!, second!];
    const keys = ['contact-a', 'contact-b', 'contact-c', 'contact-d'];
    const sent = new Map<string, string[]>(keys.map((key) => [key, []]));
    // Per key one after the other (so received order is known), alternating between the two.
    await Promise.all(
      keys.map(async (key, k) => {
        for (let i = 0; i < 12; i++) {
          const app = apps[(i + k) % 2];
          sent
            .get(key)!
            .push(await app.ingest('message.created', { ...fixture('message.created'), contact_id: key }));
        }
      }),
    );
    const ids = [...sent.values()].flat();
    await allSucceeded(second!, ids, 'test.ordered');
    await allSucceeded(second!, ids, 'test.steady');

    const calls = probes.flatMap((probe) => probe.of('test.ordered'));
    expect(calls).toHaveLength(ids.length);
    expect(probes.flatMap((probe) => probe.of('test.steady'))).toHaveLength(ids.length);
    // Exactly one process ran handlers.
    expect(probes.filter((probe) => probe.calls.length > 0)).toHaveLength(1);
    expect(overlap).toBe(false);
    for (const key of keys) {
      const seen = calls
        .filter((c) => (c.event as MessageCreated).data.contactId === key)
        .map((c) => c.eventId);
      expect(seen).toEqual(sent.get(key));
    }
  });

  it('when the delivering process stops, the other takes over and finishes the retrying deliveries once', async () => {
    const [leading, other] = [first!, second!];
    leading.app.get(Probe).on('test.flaky', () => {
      throw new Error('CRM is down');
    });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await [leading, other][i % 2].ingest('message.created'));
    await eventually(async () => {
      for (const id of ids) {
        const found = (await deliveries(other, id)).find((d) => d.subscriberId === 'test.flaky');
        if (found?.status !== 'failed') return false;
      }
      return true;
    }, 15_000);
    expect(other.app.get(Probe).calls).toHaveLength(0);

    await leading.close();
    first = undefined;
    await allSucceeded(other, ids, 'test.flaky');
    const calls = other.app.get(Probe).of('test.flaky');
    expect(calls.map((c) => c.eventId).sort()).toEqual([...ids].sort());
  });
});
