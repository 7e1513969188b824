import { jest } from '@jest/globals';
import { persist } from './persist.js';

describe(persist.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('retries a refused write, waiting longer each time, until it succeeds', async () => {
    let calls = 0;
    const write = jest.fn(async () => {
      if (++calls < 4) throw new Error('disk full');
    });
    const errors: number[] = [];
    const done = persist(write, {
      signal: new AbortController().signal,
      onError: (_, tries) => errors.push(tries),
    });
    await jest.advanceTimersByTimeAsync(99);
    expect(write).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1); // 100 ms
    expect(write).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(200);
    expect(write).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(400);
    await expect(done).resolves.toBe(true);
    expect(write).toHaveBeenCalledTimes(4);
    expect(errors).toEqual([1, 2, 3]);
  });

  it('waits at most 5 s between tries', async () => {
    const write = jest.fn(async () => {
      throw new Error('disk full');
    });
    const stop = new AbortController();
    const done = persist(write, { signal: stop.signal, onError: () => undefined });
    await jest.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 1600 + 3200 + 5000 + 5000);
    expect(write).toHaveBeenCalledTimes(9);
    stop.abort();
    await expect(done).resolves.toBe(false);
  });

  it('once stopping, tries once more and gives up on failure', async () => {
    const stop = new AbortController();
    stop.abort();
    const write = jest.fn(async () => {
      throw new Error('closed');
    });
    await expect(persist(write, { signal: stop.signal, onError: () => undefined })).resolves.toBe(false);
    expect(write).toHaveBeenCalledTimes(1);
  });
});
