import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A fixture's `data` in a fresh envelope, serialised. */
export function envelope(type = 'message.created', data?: Record<string, unknown>): string {
  return JSON.stringify({ event: type, request_id: randomUUID(), data: data ?? fixture(type) });
}

export function fixture(type: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`fixtures/whippy/${type}.json`, 'utf8'));
}
