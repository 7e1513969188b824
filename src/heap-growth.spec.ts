import { getHeapStatistics } from 'node:v8';
import { boundHeapGrowth, growingPercent, HEAP_GROWTH } from './heap-growth.js';

const MIB = 1024 * 1024;

describe('growingPercent', () => {
  const growth = (live: number) => live * (growingPercent(live) / 100);

  it('lets a small heap grow by 24 MiB past what survived, a large one by a quarter of it', () => {
    for (const live of [24 * MIB, 42 * MIB, 60 * MIB]) {
      expect(Math.abs(growth(live) - HEAP_GROWTH.floorBytes)).toBeLessThan(live / 100);
    }
    expect(growingPercent(96 * MIB)).toBe(25);
    expect(growingPercent(400 * MIB)).toBe(25);
  });

  it('never beyond V8’s own 4x', () => {
    expect(growingPercent(4 * MIB)).toBe(300);
    expect(growingPercent(0)).toBe(300);
  });
});

describe('boundHeapGrowth', () => {
  it('leaves the heap growth to the operator who set it on the command line', () => {
    expect(boundHeapGrowth(['--heap-growing-percent=10'])).toBe(false);
    expect(boundHeapGrowth(['--max-old-space-size=512', '--optimize-for-size'])).toBe(false);
    expect(boundHeapGrowth(['--heap_growing_percent=40'])).toBe(false);
  });

  it('sets it otherwise, and the process keeps running', () => {
    expect(boundHeapGrowth(['--max-old-space-size=4096'])).toBe(true);
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(0);
  });
});
