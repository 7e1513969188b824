import { getHeapStatistics } from 'node:v8';
import { BACKLOG_THRESHOLD, CALM_CHECKS, HEAP_GROWING_PERCENT, HeapGrowthPolicy } from './heap-growth.js';

/** A policy that records the percentages it sets instead of setting V8's flag. */
function recorded() {
  const set: number[] = [];
  const policy = HeapGrowthPolicy.forProcess([], (percent) => set.push(percent))!;
  return { policy, set };
}

/** `n` checks with `waiting` deliveries in memory and no failures. */
function checks(policy: HeapGrowthPolicy, n: number, waiting = 0): void {
  for (let i = 0; i < n; i++) policy.check(waiting);
}

describe('HeapGrowthPolicy', () => {
  it('leaves the heap growth to the operator who set it on the command line', () => {
    const set: number[] = [];
    const record = (percent: number) => set.push(percent);
    expect(HeapGrowthPolicy.forProcess(['--heap-growing-percent=10'], record)).toBeUndefined();
    expect(
      HeapGrowthPolicy.forProcess(['--max-old-space-size=512', '--optimize-for-size'], record),
    ).toBeUndefined();
    expect(HeapGrowthPolicy.forProcess(['--heap_growing_percent=40'], record)).toBeUndefined();
    expect(set).toEqual([]);
    expect(HeapGrowthPolicy.forProcess(['--max-old-space-size=4096'], record)).toBeInstanceOf(
      HeapGrowthPolicy,
    );
    expect(set).toEqual([HEAP_GROWING_PERCENT]);
  });

  it('starts bounded, and gives the growth back to V8 once no backlog showed for a while', () => {
    const { policy, set } = recorded();
    expect(policy.isBounded).toBe(true);
    checks(policy, CALM_CHECKS - 1, BACKLOG_THRESHOLD - 1);
    expect(set).toEqual([HEAP_GROWING_PERCENT]);
    policy.check(0);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0]);
    expect(policy.isBounded).toBe(false);
    checks(policy, CALM_CHECKS * 2, BACKLOG_THRESHOLD - 1);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0]);
  });

  it('bounds it again at once when deliveries back up in memory, and holds while they do', () => {
    const { policy, set } = recorded();
    checks(policy, CALM_CHECKS);
    policy.check(BACKLOG_THRESHOLD);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0, HEAP_GROWING_PERCENT]);
    expect(policy.isBounded).toBe(true);

    // A moment without, then the backlog again: still bounded, nothing set twice.
    checks(policy, CALM_CHECKS - 1);
    policy.check(BACKLOG_THRESHOLD * 10);
    checks(policy, CALM_CHECKS - 1, 3);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0, HEAP_GROWING_PERCENT]);
    policy.check(3);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0, HEAP_GROWING_PERCENT, 0]);
  });

  it('counts failing attempts as a backlog: their deliveries wait in the store for a retry', () => {
    const { policy, set } = recorded();
    checks(policy, CALM_CHECKS);
    policy.failed();
    policy.check(0);
    expect(set).toEqual([HEAP_GROWING_PERCENT, 0, HEAP_GROWING_PERCENT]);
    // Failures keep it bounded; each check counts only those since the last.
    for (let i = 0; i < CALM_CHECKS * 2; i++) {
      policy.failed();
      policy.check(0);
    }
    checks(policy, CALM_CHECKS - 1);
    expect(policy.isBounded).toBe(true);
    policy.check(0);
    expect(policy.isBounded).toBe(false);
  });

  it("sets V8's flag in this process, which keeps running", () => {
    const policy = HeapGrowthPolicy.forProcess([])!;
    checks(policy, CALM_CHECKS);
    expect(policy.isBounded).toBe(false);
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(0);
  });
});
