/**
 * `2023-08-24T10:05:18.432652Z`, naive `2023-11-02T14:02:13`, a numeric offset, or a bare date.
 * Groups: year, month, day, hour, minute, second, fraction, zone.
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A Whippy timestamp: the instant as a `Date`, and the string exactly as Whippy sent it.
 *
 * Whippy sends both `2023-08-24T10:05:18.432652Z` (microseconds, UTC) and naive
 * `2023-11-02T14:02:13` (no zone, meaning UTC). `date` has millisecond precision; `raw` keeps
 * the microseconds and the original form.
 */
export class WhippyTimestamp {
  constructor(
    readonly date: Date,
    readonly raw: string,
  ) {}

  /** The timestamp, or `null` when `raw` is not one of the forms Whippy sends (or not a real date). */
  static parse(raw: string): WhippyTimestamp | null {
    const match = TIMESTAMP.exec(raw);
    if (!match) return null;
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = match;
    const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
    const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
    const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
    date.setUTCFullYear(year);
    // Date.UTC rolls 2023-02-30 over to March; a timestamp that does not round-trip is not real.
    if (
      date.getUTCFullYear() !== year ||
      date.getUTCMonth() !== month - 1 ||
      date.getUTCDate() !== day ||
      date.getUTCHours() !== hour ||
      date.getUTCMinutes() !== minute ||
      date.getUTCSeconds() !== second
    ) {
      return null;
    }
    const offsetMinutes = zoneOffsetMinutes(zone);
    if (offsetMinutes === null) return null;
    return new WhippyTimestamp(new Date(date.getTime() - offsetMinutes * 60_000), raw);
  }

  /** An ISO 8601 UTC string (`Date#toISOString`), so JSON consumers never see a naive time. */
  toJSON(): string {
    return this.date.toISOString();
  }

  toString(): string {
    return this.raw;
  }
}

function zoneOffsetMinutes(zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
