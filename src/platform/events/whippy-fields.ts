// class-transformer's @Type reads design:type metadata as the classes below are defined.
import 'reflect-metadata';
import { Expose, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { WhippyTimestamp } from './whippy-timestamp.js';

/**
 * Decorators for the fields of Whippy's objects. Each one maps a camelCase property to the
 * Whippy field of the same name in snake_case (`contactId` ⇐ `contact_id`), turns a missing
 * field or `''` into `null` (Whippy sends both where it means null), and checks only the
 * JSON type: Whippy adds fields and enumeration values without notice, so anything of the
 * right type is accepted.
 */

/** A class of Whippy object (one with field decorators), built by `plainToInstance`. */
export type WhippyObjectClass<T extends WhippyObject = WhippyObject> = new () => T;

/**
 * A JSON object from Whippy. The fields the class declares are camelCase properties; every
 * other field, however deep the object sits in `data`, is kept as received in `extra`
 * (snake_case keys, values untouched), so a field Whippy adds tomorrow is reachable today.
 */
export abstract class WhippyObject {
  declare readonly extra: Record<string, unknown>;
}

/** The Whippy (snake_case) name of a property; the inverse of the camelCase convention. */
export const whippyName = (property: string): string =>
  property.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** Whippy names declared by each class itself (not its ancestors). */
const declaredNames = new WeakMap<object, Set<string>>();
/** All Whippy names a class knows, its ancestors' included; computed on first parse. */
const knownNames = new WeakMap<object, ReadonlySet<string>>();

function knownNamesOf(type: object): ReadonlySet<string> {
  let names = knownNames.get(type);
  if (!names) {
    const all = new Set<string>();
    for (let t: object | null = type; t && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
      for (const name of declaredNames.get(t) ?? []) all.add(name);
    }
    names = all;
    knownNames.set(type, names);
  }
  return names;
}

/** The fields of `raw` that `type` does not declare, as received: an object's `extra`. */
export function unknownFields(type: object, raw: unknown): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (typeof raw !== 'object' || raw === null) return extra;
  const known = knownNamesOf(type);
  for (const [key, value] of Object.entries(raw)) {
    if (known.has(key)) continue;
    // A JSON `__proto__` key is data; plain assignment would set the prototype instead.
    Object.defineProperty(extra, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return extra;
}

/** Registers the field on its class and, on the class's first field, the `extra` property. */
function register(prototype: object, property: string): string {
  const type = prototype.constructor;
  let names = declaredNames.get(type);
  if (!names) {
    names = new Set();
    declaredNames.set(type, names);
    Expose()(prototype, 'extra');
    Transform(({ obj }) => unknownFields(type, obj))(prototype, 'extra');
  }
  const name = whippyName(property);
  names.add(name);
  return name;
}

const emptyToNull = (value: unknown): unknown => (value === undefined || value === '' ? null : value);

/** What a field holds, as `describeFields` reports it. */
interface FieldKind {
  /** The JSON type: `string`, `integer`, `timestamp`, `object`, `object[]`, … */
  type: string;
  /** The class of a nested object (or of each item of an array of them). */
  of?: () => WhippyObjectClass;
}

/** Each class's own fields (not its ancestors'), by property, in declaration order. */
const fieldKinds = new WeakMap<object, Map<string, FieldKind>>();

/**
 * What a field holds: a scalar (text, number, boolean, timestamp), a nested object (with its
 * class) or an array. Filters and `orderBy` paths are checked against these at start.
 */
export type WhippyFieldShape =
  { kind: 'scalar' } | { kind: 'array' } | { kind: 'object'; type: () => WhippyObjectClass };

/** Every field a class of Whippy object declares, its ancestors' included, by Whippy name. */
export function whippyFieldsOf(type: object): ReadonlyMap<string, WhippyFieldShape> {
  const all = new Map<string, WhippyFieldShape>();
  for (let t: object | null = type; t && t !== Function.prototype; t = Object.getPrototypeOf(t)) {
    for (const [property, kind] of fieldKinds.get(t) ?? []) {
      const name = whippyName(property);
      if (all.has(name)) continue;
      all.set(
        name,
        kind.type === 'object' && kind.of
          ? { kind: 'object', type: kind.of }
          : kind.type.endsWith('[]')
            ? { kind: 'array' }
            : { kind: 'scalar' },
      );
    }
  }
  return all;
}

/** A declared field: its property, its Whippy name and what it holds. */
export interface DeclaredField {
  property: string;
  name: string;
  type: string;
  of?: () => WhippyObjectClass;
}

/**
 * The fields a class declares, its ancestors' first, each once; undefined when a class of the
 * chain registered `extra` of its own after an ancestor did (a shape the fast build does not
 * reproduce).
 */
export function declaredFieldsOf(type: object): DeclaredField[] | undefined {
  const chain: object[] = [];
  for (let t: object | null = type; t && t !== Function.prototype; t = Object.getPrototypeOf(t))
    chain.unshift(t);
  if (chain.filter((t) => declaredNames.has(t)).length > 1) return undefined;
  const fields: DeclaredField[] = [];
  for (const t of chain) {
    for (const [property, kind] of fieldKinds.get(t) ?? []) {
      fields.push({ property, name: whippyName(property), type: kind.type, of: kind.of });
    }
  }
  return fields;
}

function field(
  kind: FieldKind,
  normalize: (value: unknown) => unknown,
  ...validators: PropertyDecorator[]
): PropertyDecorator {
  return (prototype, property) => {
    if (typeof property !== 'string') throw new TypeError('Whippy fields are named by strings');
    const kinds = fieldKinds.get(prototype.constructor) ?? new Map<string, FieldKind>();
    fieldKinds.set(prototype.constructor, kinds.set(property, kind));
    Expose({ name: register(prototype, property) })(prototype, property);
    Transform(({ value }) => normalize(value))(prototype, property);
    IsOptional()(prototype, property);
    for (const validator of validators) validator(prototype, property);
  };
}

function check(name: string, message: string, test: (value: unknown) => boolean): PropertyDecorator {
  return ValidateBy({ name, validator: { validate: test, defaultMessage: () => message } });
}

/** A JSON object: not null, not an array (after the transform, an instance of the field's class). */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A string (enumerations too: any value is kept, only the type is checked). */
export const StringField = (): PropertyDecorator =>
  field({ type: 'string' }, emptyToNull, IsString({ message: 'must be a string' }));

export const IntegerField = (): PropertyDecorator =>
  field({ type: 'integer' }, emptyToNull, IsInt({ message: 'must be an integer' }));

export const NumberField = (): PropertyDecorator =>
  field({ type: 'number' }, emptyToNull, IsNumber({}, { message: 'must be a number' }));

export const BooleanField = (): PropertyDecorator =>
  field({ type: 'boolean' }, emptyToNull, IsBoolean({ message: 'must be a boolean' }));

/** An identifier Whippy does not document the type of: a string or an integer. */
export const IdField = (): PropertyDecorator =>
  field(
    { type: 'string | integer' },
    emptyToNull,
    check(
      'isWhippyId',
      'must be a string or an integer',
      (value) => typeof value === 'string' || Number.isInteger(value),
    ),
  );

export const StringArrayField = (): PropertyDecorator =>
  field(
    { type: 'string[]' },
    emptyToNull,
    check(
      'isStringArray',
      'must be an array of strings',
      (value) => Array.isArray(value) && value.every((item) => typeof item === 'string'),
    ),
  );

/**
 * A timestamp, as a {@link WhippyTimestamp} (both the zoned and the naive form are UTC). A
 * string that is not a timestamp fails validation with `not a timestamp`.
 */
export const TimestampField = (): PropertyDecorator =>
  field(
    { type: 'timestamp' },
    (value) => {
      const normalized = emptyToNull(value);
      return typeof normalized === 'string' ? (WhippyTimestamp.parse(normalized) ?? normalized) : normalized;
    },
    check('isWhippyTimestamp', 'not a timestamp', (value) => value instanceof WhippyTimestamp),
  );

/** A nested object, as an instance of `type()` (validated, with its own `extra`). */
export const ObjectField = (type: () => WhippyObjectClass): PropertyDecorator =>
  field(
    { type: 'object', of: type },
    emptyToNull,
    Type(type),
    check('isObject', 'must be an object', isJsonObject),
    ValidateNested({ message: 'must be an object' }),
  );

/** An array of nested objects, each an instance of `type()`. */
export const ObjectArrayField = (type: () => WhippyObjectClass): PropertyDecorator =>
  field(
    { type: 'object[]', of: type },
    emptyToNull,
    Type(type),
    check(
      'isObjectArray',
      'must be an array of objects',
      (value) => Array.isArray(value) && value.every(isJsonObject),
    ),
    ValidateNested({ each: true, message: 'must be an object' }),
  );

/** A field of a catalog class, as the decorators above declared it. */
export interface FieldDescription {
  /** Whippy's (snake_case) name. */
  name: string;
  /** The camelCase property a subscriber reads. */
  property: string;
  /** `string`, `integer`, `number`, `boolean`, `string | integer`, `string[]`, `timestamp`, `object`, `object[]`. */
  type: string;
  /** For `object` and `object[]`: the class, and its fields. */
  class?: string;
  fields?: FieldDescription[];
}

/**
 * The fields a class declares, its ancestors' first, nested objects described in turn (a class
 * already being described is named but not expanded again). For the catalog command and docs.
 */
export function describeFields(
  type: WhippyObjectClass,
  seen: ReadonlySet<object> = new Set(),
): FieldDescription[] {
  const chain: object[] = [];
  for (let t: object | null = type; t && t !== Function.prototype; t = Object.getPrototypeOf(t))
    chain.unshift(t);
  const inside = new Set([...seen, type]);
  return chain.flatMap((t) =>
    [...(fieldKinds.get(t) ?? [])].map(([property, kind]): FieldDescription => {
      const described: FieldDescription = { name: whippyName(property), property, type: kind.type };
      if (!kind.of) return described;
      const nested = kind.of();
      return {
        ...described,
        class: nested.name,
        ...(inside.has(nested) ? {} : { fields: describeFields(nested, inside) }),
      };
    }),
  );
}
