import { decodeTime, isValid } from 'ulid';
import { idFactory } from './ids.js';

describe('idFactory', () => {
  it('makes valid ULIDs that sort in the order they were made, across refills of the pool', () => {
    const next = idFactory();
    const ids = Array.from({ length: 10_000 }, () => next());
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(Math.abs(decodeTime(ids[0]) - Date.now())).toBeLessThan(60_000);
  });

  it('draws different random parts for ids of different milliseconds', () => {
    const next = idFactory();
    const a = next(1_000);
    const b = next(2_000);
    expect(a.slice(10)).not.toEqual(b.slice(10));
  });
});
