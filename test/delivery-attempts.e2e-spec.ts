import { PermanentFailure, RetryLater } from '../src/platform/bus/index.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

const SETTINGS = `
delivery:
  maxAttempts: 3
  backoff: { initialMs: 50, maxMs: 200, jitter: false }
subscribers:
  test.everything: { enabled: false }
  test.ordered: { enabled: false }
`;

interface Attempt {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number | null;
  outcome: string;
  error: string | null;
}

interface Delivery {
  id: string;
  subscriberId: string;
  status: string;
  attempts: number;
  history: Attempt[];
}

/** The same behaviour on each store: SQLite, and PostgreSQL when there is one. */
function attemptHistory(env: () => Record<string, string>) {
  let t: TestApp;
  let probe: Probe;

  beforeEach(async () => {
    t = await startApp({ env: env(), configDir: configDirWith(SETTINGS), modules: [ProbeModule] });
    probe = t.app.get(Probe);
  });
  afterEach(() => t.close());

  const flaky = async (eventId: string): Promise<Delivery> => {
    const body = (await t.admin(`/admin/api/events/${eventId}`).expect(200)).body;
    return body.deliveries.find((d: Delivery) => d.subscriberId === 'test.flaky');
  };
  const settled = (eventId: string, status: string) =>
    eventually(async () => {
      const delivery = await flaky(eventId);
      return delivery?.status === status && delivery;
    });
  const outcomes = (history: Attempt[]) => history.map((a) => [a.attempt, a.outcome, a.error]);

  it('keeps every attempt: two failures then a success are three attempts', async () => {
    let calls = 0;
    probe.on('test.flaky', () => {
      calls += 1;
      if (calls <= 2) throw new Error(`upstream answered 500 (${calls})`);
    });
    const id = await t.ingest('message.created');
    const delivery = await settled(id, 'succeeded');

    expect(delivery.attempts).toBe(3);
    expect(outcomes(delivery.history)).toEqual([
      [1, 'failed', expect.stringContaining('upstream answered 500 (1)')],
      [2, 'failed', expect.stringContaining('upstream answered 500 (2)')],
      [3, 'succeeded', null],
    ]);
    for (const attempt of delivery.history) {
      expect(typeof attempt.durationMs).toBe('number');
      expect(Date.parse(attempt.finishedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));
    }
    // Oldest first, one after the other.
    expect(Date.parse(delivery.history[1].startedAt)).toBeGreaterThanOrEqual(
      Date.parse(delivery.history[0].finishedAt),
    );
  });

  it('keeps the history across a retry of a dead delivery, numbering on', async () => {
    let down = true;
    probe.on('test.flaky', () => {
      if (down) throw new Error('connection refused');
    });
    const id = await t.ingest('message.created');
    const dead = await settled(id, 'dead');
    expect(outcomes(dead.history)).toEqual([
      [1, 'failed', expect.stringContaining('connection refused')],
      [2, 'failed', expect.stringContaining('connection refused')],
      [3, 'dead', expect.stringContaining('connection refused')],
    ]);

    down = false;
    await t.adminPost(`/admin/api/deliveries/${dead.id}/retry`).expect(202);
    const retried = await settled(id, 'succeeded');
    // The budget starts again; the history does not.
    expect(retried.attempts).toBe(1);
    expect(outcomes(retried.history)).toEqual([...outcomes(dead.history), [4, 'succeeded', null]]);

    const one = (await t.admin(`/admin/api/deliveries/${dead.id}`).expect(200)).body;
    expect(one).toMatchObject({ id: dead.id, status: 'succeeded', attempts: 1 });
    expect(one.history).toEqual(retried.history);
  });

  it('records a throttled attempt (RetryLater) as throttled, and a PermanentFailure as dead', async () => {
    let calls = 0;
    probe.on('test.flaky', () => {
      calls += 1;
      if (calls === 1) throw new RetryLater(50, 'rate limited');
      throw new PermanentFailure('contact was deleted');
    });
    const id = await t.ingest('message.created');
    const delivery = await settled(id, 'dead');
    expect(outcomes(delivery.history)).toEqual([
      [1, 'throttled', expect.stringContaining('rate limited')],
      [2, 'dead', expect.stringContaining('contact was deleted')],
    ]);
  });

  it('answers 404 for a delivery that is not stored', async () => {
    await t.admin('/admin/api/deliveries/01ARZ3NDEKTSV4RRFFQ69G5FAV').expect(404);
    await t.admin('/admin/api/deliveries/not-an-id').expect(404);
  });
}

describe('attempt history on SQLite', () => {
  attemptHistory(() => ({}));
});

const server = await postgres();

describeWith(server, 'attempt history on PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await freshDatabase(server.url!);
  });
  afterAll(() => database?.drop());
  attemptHistory(() => ({ DATABASE_URL: database.url }));
});
