import type { Logger } from '@nestjs/common';
import { eventFieldPaths, nearestPath } from '../events/index.js';
import { fieldOf } from './route-filter.js';
import type { RawEvent, SubscriberDefinition } from './subscriber.js';

/** A subscriber's `orderBy`, normalised. */
export interface Ordering {
  /** The field path, when the key is one (checked at start). */
  path?: string;
  onDead: 'continue' | 'hold';
  /** The key of one event, or null (unordered); never throws. */
  keyOf(event: unknown, raw: RawEvent, logger: Logger): string | null;
}

export function orderingOf(subscriber: SubscriberDefinition): Ordering | undefined {
  const option = subscriber.orderBy;
  if (option === undefined || option === null) return undefined;
  const { key, onDead = 'continue' } = typeof option === 'object' ? option : { key: option };
  const read = typeof key === 'string' ? (_: unknown, raw: RawEvent) => fieldOf(raw, key) : key;
  return {
    path: typeof key === 'string' ? key : undefined,
    onDead,
    keyOf(event, raw, logger) {
      let value: unknown;
      try {
        value = read(event, raw);
      } catch (error) {
        logger.warn(`orderBy of ${subscriber.id} threw (${(error as Error).message}); delivering unordered`);
        return null;
      }
      return orderKey(value, (problem) =>
        logger.warn(`orderBy of ${subscriber.id} ${problem}; delivering this event unordered`),
      );
    },
  };
}

/**
 * A key from a value: text, numbers and booleans as text; null, undefined and '' mean
 * unordered. An object or array is not a key: `String()` would make every such event
 * "[object Object]", one key for all of them.
 */
export function orderKey(value: unknown, warn: (problem: string) => void): string | null {
  if (value === undefined || value === null || value === '') return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      warn(
        `returned ${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}, not a scalar`,
      );
      return null;
  }
}

/** What is wrong with a path `orderBy` for these event types: it must be a scalar field of each. */
export function orderByProblems(subscriber: SubscriberDefinition, types: Iterable<string>): string[] {
  const ordering = orderingOf(subscriber);
  if (!ordering?.path) return [];
  const { path } = ordering;
  const problems: string[] = [];
  const where = `subscriber ${subscriber.id} (${subscriber.origin ?? 'code'}): orderBy '${path}'`;
  for (const type of types) {
    const fields = eventFieldPaths(type);
    const kind = fields.get(path);
    if (kind === 'scalar') continue;
    if (kind === undefined) {
      const near = nearestPath(path, fields.keys());
      problems.push(`${where} is not a field of ${type}${near ? ` (did you mean ${near}?)` : ''}`);
    } else {
      const inside = [...fields]
        .filter(([p, k]) => k === 'scalar' && p.startsWith(`${path}.`))
        .map(([p]) => p);
      problems.push(
        `${where} is ${kind === 'array' ? 'an array' : 'an object'} in ${type}, not a scalar${inside.length ? ` (a field inside it: ${inside.slice(0, 3).join(', ')})` : ''}`,
      );
    }
  }
  return problems;
}
