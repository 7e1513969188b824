import { BadRequestException } from '@nestjs/common';

/**
 * One value of a query parameter. A parameter given twice (`?type=a&type=b`) is refused rather
 * than read as a list: no admin filter takes several values, and a silent pick of one would
 * answer a question that was not asked.
 */
export function single(name: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new BadRequestException({
    error: 'invalid_query',
    message: `${name} may be given once`,
  });
}

/** A page size from the query string: 1 to max, default when absent; 400 otherwise. */
export function parseLimit(raw: unknown, fallback = 50, max = 500): number {
  const value = single('limit', raw);
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new BadRequestException({
      error: 'invalid_query',
      message: `limit must be a whole number from 1 to ${max}`,
    });
  }
  return n;
}

/** An ISO time from the query string; 400 when it does not parse. */
export function parseTime(name: string, raw: unknown): string | undefined {
  const value = single(name, raw);
  if (value === undefined || value === '') return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new BadRequestException({ error: 'invalid_query', message: `${name} must be an ISO 8601 time` });
  }
  return time.toISOString();
}
