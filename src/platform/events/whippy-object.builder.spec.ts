import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { EVENT_CLASSES } from './event-catalog.js';
import { WHIPPY_EVENT_TYPES } from './event-types.js';
import { buildWhippyObject } from './whippy-object.builder.js';
import type { WhippyObjectClass } from './whippy-fields.js';

const fixture = (type: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`fixtures/whippy/${type}.json`, 'utf8')) as Record<string, unknown>;

/** What class-transformer builds, as the parser's exact path does. */
const slow = (type: WhippyObjectClass, data: Record<string, unknown>) =>
  plainToInstance(type, data, { excludeExtraneousValues: true, enableImplicitConversion: false });

/** A tree's classes, keys in order and values, so two builds compare exactly. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return { array: value.map(shape) };
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return {
    class: proto?.constructor?.name ?? null,
    entries: Object.entries(value).map(([key, child]) => [key, shape(child)]),
  };
}

/** Every top-level field emptied, nulled, removed in turn, and an unknown one added. */
function variants(data: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ ...data, added_later: { nested: [1, 'two'] } }];
  for (const key of Object.keys(data)) {
    const { [key]: _removed, ...without } = data;
    out.push(without, { ...data, [key]: null }, { ...data, [key]: '' });
  }
  return out;
}

describe(buildWhippyObject.name, () => {
  it.each(WHIPPY_EVENT_TYPES)('%s: builds what class-transformer builds', (type) => {
    const dataClass: WhippyObjectClass = EVENT_CLASSES[type].dataClass;
    for (const data of [fixture(type), ...variants(fixture(type))]) {
      const fast = buildWhippyObject(dataClass, data);
      // Only a variant that is still plainly valid is built; the others take the exact path.
      if (fast === undefined) continue;
      expect(shape(fast)).toEqual(shape(slow(dataClass, data)));
    }
    expect(buildWhippyObject(dataClass, fixture(type))).toBeDefined();
  });

  it('leaves data of a wrong JSON type to the exact path', () => {
    const dataClass: WhippyObjectClass = EVENT_CLASSES['message.created'].dataClass;
    const data = fixture('message.created');
    for (const bad of [
      { ...data, user_id: 1.5 },
      { ...data, body: 12 },
      { ...data, created_at: 'yesterday' },
      { ...data, attachments: [1] },
      { ...data, metadata: [] },
    ])
      expect(buildWhippyObject(dataClass, bad)).toBeUndefined();
  });
});
