import type { FilterCondition, SubscriberRouteConfig } from './app-config.js';
import type { ConfigReader, Tree } from './config-reader.js';

/** `subscribers.<id>`: enable, events and filter of each subscriber's route. */
export function readSubscribers(r: ConfigReader, value: unknown): Record<string, SubscriberRouteConfig> {
  const tree = r.section(value, 'subscribers', Object.keys((value as Tree | undefined) ?? {}));
  const out: Record<string, SubscriberRouteConfig> = {};
  for (const [id, entry] of Object.entries(tree)) {
    const path = `subscribers.${id}`;
    const spec = r.section(entry, path, ['enabled', 'events', 'filter']);
    out[id] = {
      enabled: r.boolean(spec.enabled, `${path}.enabled`, true),
      events: r.strings(spec.events, `${path}.events`),
      filter:
        spec.filter === undefined || spec.filter === null
          ? undefined
          : readFilter(r, spec.filter, `${path}.filter`),
    };
  }
  return out;
}

const OPERATORS = ['in', 'exists', 'prefix', 'not'];

/** `{ <field path>: <value> | {in: [...]} | {exists: bool} | {prefix: text} | {not: <condition>} }` */
function readFilter(r: ConfigReader, value: unknown, path: string): Record<string, FilterCondition> {
  const tree = r.section(value, path, Object.keys((value as Tree | undefined) ?? {}));
  return Object.fromEntries(
    Object.entries(tree).map(([field, condition]) => [
      field,
      readCondition(r, condition, `${path}.${field}`),
    ]),
  );
}

function readCondition(r: ConfigReader, value: unknown, path: string): FilterCondition {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
    return { equals: value as string };
  if (Array.isArray(value)) {
    r.problem(path, 'a list needs an operator: write {in: [...]}');
    return { equals: null };
  }
  const spec = value as Tree;
  const keys = Object.keys(spec);
  if (keys.length !== 1 || !OPERATORS.includes(keys[0])) {
    r.problem(
      path,
      `must be a value or one of {in: [...]}, {exists: true|false}, {prefix: text}, {not: ...}; got keys ${keys.join(', ') || '(none)'}`,
    );
    return { equals: null };
  }
  const [op] = keys;
  const operand = spec[op];
  if (op === 'in') {
    if (!Array.isArray(operand) || operand.some((v) => v !== null && typeof v === 'object')) {
      r.problem(`${path}.in`, 'must be a list of values');
      return { in: [] };
    }
    return { in: operand as (string | number | boolean | null)[] };
  }
  if (op === 'exists') return { exists: r.boolean(operand, `${path}.exists`, true) };
  if (op === 'prefix') {
    if (typeof operand !== 'string') r.problem(`${path}.prefix`, 'must be text');
    return { prefix: String(operand) };
  }
  return { not: readCondition(r, operand, `${path}.not`) };
}
