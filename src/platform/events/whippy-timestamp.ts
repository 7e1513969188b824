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
    // Called for every timestamp field of every event received: no arrays or Dates in between.
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    const hour = match[4] === undefined ? 0 : Number(match[4]);
    const minute = match[5] === undefined ? 0 : Number(match[5]);
    const second = match[6] === undefined ? 0 : Number(match[6]);
    const fraction = match[7];
    const millis = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
    // A date that does not exist (2023-02-30, 24:00, second 60) is not a real timestamp.
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    if (hour > 23 || minute > 59 || second > 59) return null;
    const offsetMinutes = match[8] === undefined ? 0 : zoneOffsetMinutes(match[8]);
    if (offsetMinutes === null) return null;
    const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
    // Date.UTC reads years 0-99 as 1900-1999: the year is set on its own.
    date.setUTCFullYear(year);
    date.setTime(date.getTime() - offsetMinutes * 60_000);
    return new WhippyTimestamp(date, raw);
  }

  /** An ISO 8601 UTC string (`Date#toISOString`), so JSON consumers never see a naive time. */
  toJSON(): string {
    return this.date.toISOString();
  }

  toString(): string {
    return this.raw;
  }
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

function zoneOffsetMinutes(zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return null;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
