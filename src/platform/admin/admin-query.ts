import { BadRequestException } from '@nestjs/common';

/** A page size from the query string: 1 to max, default when absent; 400 otherwise. */
export function parseLimit(value: string | undefined, fallback = 50, max = 500): number {
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
export function parseTime(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new BadRequestException({ error: 'invalid_query', message: `${name} must be an ISO 8601 time` });
  }
  return time.toISOString();
}
