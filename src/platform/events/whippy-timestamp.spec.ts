import { WhippyTimestamp } from './whippy-timestamp.js';

describe(WhippyTimestamp.name, () => {
  it('reads a UTC timestamp with microseconds, keeping the original string', () => {
    const timestamp = WhippyTimestamp.parse('2023-08-24T10:05:18.432652Z');
    expect(timestamp?.date.toISOString()).toBe('2023-08-24T10:05:18.432Z');
    expect(timestamp?.raw).toBe('2023-08-24T10:05:18.432652Z');
  });

  it('reads a naive timestamp as UTC, whatever the local zone', () => {
    const timestamp = WhippyTimestamp.parse('2023-11-02T14:02:13');
    expect(timestamp?.date.toISOString()).toBe('2023-11-02T14:02:13.000Z');
    expect(timestamp?.raw).toBe('2023-11-02T14:02:13');
  });

  it.each([
    ['2023-08-24T10:05:18+02:00', '2023-08-24T08:05:18.000Z'],
    ['2023-08-24T10:05:18.5-0530', '2023-08-24T15:35:18.500Z'],
    ['2023-08-24 10:05', '2023-08-24T10:05:00.000Z'],
    ['2023-08-24', '2023-08-24T00:00:00.000Z'],
    ['2024-02-29T23:59:59.999999z', '2024-02-29T23:59:59.999Z'],
  ])('reads %s as %s', (raw, iso) => {
    expect(WhippyTimestamp.parse(raw)?.date.toISOString()).toBe(iso);
  });

  it.each([
    '',
    'yesterday',
    '1692871518',
    '2023-02-30T10:00:00Z',
    '2023-08-24T24:00:00',
    '2023-08-24T10:05:18+25:00',
  ])('refuses %j', (raw) => {
    expect(WhippyTimestamp.parse(raw)).toBeNull();
  });

  it('serializes to an ISO UTC string, so JSON readers never get a naive time', () => {
    const timestamp = WhippyTimestamp.parse('2023-11-02T14:02:13');
    expect(JSON.stringify({ at: timestamp })).toBe('{"at":"2023-11-02T14:02:13.000Z"}');
    expect(String(timestamp)).toBe('2023-11-02T14:02:13');
  });
});
