import {
  declaredFieldsOf,
  unknownFields,
  type DeclaredField,
  type WhippyObject,
  type WhippyObjectClass,
} from './whippy-fields.js';
import { WhippyTimestamp } from './whippy-timestamp.js';

/** Returned by a field's reader for a value the fast build does not vouch for. */
const UNSURE = Symbol('unsure');
type Read = (value: unknown) => unknown;

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A class's fields with their readers, built on first use. */
interface Plan {
  fields: { property: string; name: string; read: Read }[];
}
const plans = new WeakMap<object, Plan | null>();

/**
 * Builds an instance of a Whippy object class from well-typed data, as `plainToInstance` would,
 * without class-transformer or class-validator: every declared field of the right JSON type (or
 * missing, `''` or null), nested objects alike. Returns undefined as soon as any value is not
 * plainly valid; the caller then takes the exact, slower path, which says what is wrong. So
 * this path never decides that data is invalid, and needs no error messages of its own.
 */
export function buildWhippyObject<T extends WhippyObject>(
  type: WhippyObjectClass<T>,
  raw: Record<string, unknown>,
): T | undefined {
  const built = build(type, raw);
  return built === UNSURE ? undefined : (built as T);
}

function build(type: WhippyObjectClass, raw: Record<string, unknown>): WhippyObject | typeof UNSURE {
  const plan = planOf(type);
  if (!plan) return UNSURE;
  const instance = new type() as unknown as Record<string, unknown>;
  for (const { property, name, read } of plan.fields) {
    const value = read(raw[name]);
    if (value === UNSURE) return UNSURE;
    instance[property] = value;
  }
  instance.extra = unknownFields(type, raw);
  return instance as unknown as WhippyObject;
}

function planOf(type: WhippyObjectClass): Plan | null {
  let plan = plans.get(type);
  if (plan === undefined) {
    const fields = declaredFieldsOf(type);
    const readers = fields?.map((field) => ({ ...field, read: readerFor(field) }));
    plan = readers && readers.every((f) => f.read) ? { fields: readers as Plan['fields'] } : null;
    plans.set(type, plan);
  }
  return plan;
}

/** Missing and `''` are null, as the field decorators normalize them. */
const nullable =
  (read: Read): Read =>
  (value) =>
    value === undefined || value === '' || value === null ? null : read(value);

function readerFor(field: DeclaredField): Read | undefined {
  switch (field.type) {
    case 'string':
      return nullable((v) => (typeof v === 'string' ? v : UNSURE));
    case 'integer':
      return nullable((v) => (Number.isInteger(v) ? v : UNSURE));
    case 'number':
      return nullable((v) => (typeof v === 'number' && Number.isFinite(v) ? v : UNSURE));
    case 'boolean':
      return nullable((v) => (typeof v === 'boolean' ? v : UNSURE));
    case 'string | integer':
      return nullable((v) => (typeof v === 'string' || Number.isInteger(v) ? v : UNSURE));
    case 'string[]':
      return nullable((v) =>
        Array.isArray(v) && v.every((item) => typeof item === 'string') ? [...(v as string[])] : UNSURE,
      );
    case 'timestamp':
      return nullable((v) => (typeof v === 'string' ? (WhippyTimestamp.parse(v) ?? UNSURE) : UNSURE));
    case 'object': {
      const of = field.of;
      if (!of) return undefined;
      return nullable((v) => (isJsonObject(v) ? build(of(), v) : UNSURE));
    }
    case 'object[]': {
      const of = field.of;
      if (!of) return undefined;
      return nullable((v) => {
        if (!Array.isArray(v)) return UNSURE;
        const items: unknown[] = [];
        for (const item of v) {
          const built = isJsonObject(item) ? build(of(), item) : UNSURE;
          if (built === UNSURE) return UNSURE;
          items.push(built);
        }
        return items;
      });
    }
    default:
      return undefined;
  }
}
