import { eventClassFor } from './event-catalog.js';
import { whippyFieldsOf, type WhippyObjectClass } from './whippy-fields.js';

/** What a path of an event holds: a scalar can be a filter's value or an order key. */
export type FieldKind = 'scalar' | 'object' | 'array';

/** Nested objects deeper than this are not listed (the catalog nests three levels at most). */
const MAX_DEPTH = 6;

const cache = new Map<string, ReadonlyMap<string, FieldKind>>();

/**
 * Every field path of a known event type as Whippy names it (`type`, `source`,
 * `data.contact_id`, `data.contact.phone`), with what it holds; paths do not go into arrays.
 * An empty map for a type the catalog does not know.
 */
export function eventFieldPaths(type: string): ReadonlyMap<string, FieldKind> {
  const known = cache.get(type);
  if (known) return known;
  const paths = new Map<string, FieldKind>();
  const eventClass = eventClassFor(type);
  if (eventClass) {
    paths.set('type', 'scalar');
    paths.set('source', 'scalar');
    paths.set('data', 'object');
    collect(eventClass.dataClass, 'data', paths, 1);
  }
  cache.set(type, paths);
  return paths;
}

function collect(
  type: WhippyObjectClass,
  prefix: string,
  paths: Map<string, FieldKind>,
  depth: number,
): void {
  for (const [name, shape] of whippyFieldsOf(type)) {
    const path = `${prefix}.${name}`;
    paths.set(path, shape.kind);
    if (shape.kind === 'object' && depth < MAX_DEPTH) collect(shape.type(), path, paths, depth + 1);
  }
}

/** The candidate closest to `path` by edit distance, when it is close enough to be a typo. */
export function nearestPath(path: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(path, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(path.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}
