import { DeliveryLane, Job } from './delivery-lane.js';

const job = (id: string, eventId: string, orderKey: string | null = 'k'): Job => ({
  id,
  eventId,
  subscriberId: 's',
  attempts: 0,
  throttles: 0,
  orderKey,
  dueAt: 0,
  lastError: null,
});

/** A lane whose runs wait until the test finishes them. */
function lane(concurrency = 5) {
  const started: string[] = [];
  const lane = new DeliveryLane(concurrency, (j) => {
    started.push(j.id);
    return Promise.resolve();
  });
  return { lane, started };
}

describe(DeliveryLane.name, () => {
  it('keeps a key in received order, but never puts a job ahead of a head already on its way', () => {
    const { lane: l, started } = lane();
    const b = job('d2', 'e2');
    const a = job('d1', 'e1');
    const c = job('d3', 'e3');
    l.add(b); // head, runs
    l.add(c);
    l.add(a); // older than c, but b is on its way
    expect(started).toEqual(['d2']);
    expect(l.waitingFor('d1')).toBe('d2');
    l.finish(b);
    expect(started).toEqual(['d2', 'd1']);
    l.finish(a);
    expect(started).toEqual(['d2', 'd1', 'd3']);
  });

  it('adds a job once', () => {
    const { lane: l, started } = lane();
    expect(l.add(job('d1', 'e1', null))).toBe(true);
    expect(l.add(job('d1', 'e1', null))).toBe(false);
    expect(started).toEqual(['d1']);
  });

  it('holds a key behind a dead head until it runs again (onDead: hold)', () => {
    const { lane: l, started } = lane();
    const a = job('d1', 'e1');
    l.add(a);
    l.add(job('d2', 'e2'));
    l.hold(a);
    expect(started).toEqual(['d1']);
    expect(l.waitingFor('d2')).toBe('d1');
    expect(l.runNow('d1')).toBe(true);
    expect(started).toEqual(['d1', 'd1']);
    l.finish(a);
    expect(started).toEqual(['d1', 'd1', 'd2']);
  });

  it('lets a head step back behind older jobs found later, a held one included', () => {
    const { lane: l, started } = lane();
    const c = job('d3', 'e3');
    l.add(c);
    l.stepBack(c, [{ ...job('d1', 'e1'), held: true }, job('d2', 'e2')]);
    // d1 is held dead: nothing of the key runs.
    expect(started).toEqual(['d3']);
    expect(l.waitingFor('d3')).toBe('d1');
    l.runNow('d1');
    l.finish(l.get('d1')!);
    expect(started).toEqual(['d3', 'd1', 'd2']);
  });

  it('runs at most `concurrency` at once', async () => {
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const l = new DeliveryLane(2, async () => {
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
    });
    for (let i = 0; i < 5; i++) l.add(job(`d${i}`, `e${i}`, null));
    expect(l.active).toBe(2);
    while (releases.length) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(most).toBe(2);
  });
});
