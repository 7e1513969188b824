import type { FilterCondition } from '../../config/app-config.js';
import type { RawEvent } from './subscriber.js';

/** A field of the event as Whippy names it: `type`, `source`, `data.direction`, `data.contact.id`. */
export function fieldOf(raw: RawEvent, path: string): unknown {
  let value: unknown = raw;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** undefined when the condition holds, otherwise why not, in words. */
function check(condition: FilterCondition, value: unknown, field: string): string | undefined {
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  if ('equals' in condition) {
    return value === condition.equals
      ? undefined
      : `${field} is ${shown}, wanted ${JSON.stringify(condition.equals)}`;
  }
  if ('in' in condition) {
    return condition.in.includes(value as string)
      ? undefined
      : `${field} is ${shown}, wanted one of ${JSON.stringify(condition.in)}`;
  }
  if ('exists' in condition) {
    const exists = value !== undefined && value !== null;
    return exists === condition.exists
      ? undefined
      : `${field} is ${shown}, wanted it ${condition.exists ? 'present' : 'absent'}`;
  }
  if ('prefix' in condition) {
    return typeof value === 'string' && value.startsWith(condition.prefix)
      ? undefined
      : `${field} is ${shown}, wanted it to start with ${JSON.stringify(condition.prefix)}`;
  }
  return check(condition.not, value, field) === undefined
    ? `${field} is ${shown}, wanted anything but that`
    : undefined;
}

export type RouteFilter = (raw: RawEvent) => string | undefined;

/** Every field must hold; the first that does not is the reason. */
export function compileFilter(filter: Record<string, FilterCondition> | undefined): RouteFilter | undefined {
  if (!filter) return undefined;
  const entries = Object.entries(filter);
  return (raw) => {
    for (const [field, condition] of entries) {
      const reason = check(condition, fieldOf(raw, field), field);
      if (reason) return reason;
    }
    return undefined;
  };
}
