import { getHeapStatistics } from 'node:v8';
import { boundHeapGrowth } from './heap-growth.js';

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
