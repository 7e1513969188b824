import type { ConfigReader } from '../../config/config-reader.js';

/**
 * Decorators for a module's settings class. Each names how the YAML value is read and
 * checked; the property's initializer is the default. Problems are reported with the
 * setting's path (`crm.hubspot.baseUrl: must be an http(s) URL`), all at once, at start.
 *
 * ```ts
 * export class HubspotSettings {
 *   @CredentialSetting('HUBSPOT_TOKEN') token?: string;
 *   @UrlSetting() baseUrl = 'https://api.hubapi.com';
 * }
 * ```
 */

/** A class whose properties carry setting decorators, built with `new`. */
export type SettingsClass<T extends object = object> = new () => T;

interface FieldSpec {
  read(reader: ConfigReader, value: unknown, path: string, fallback: unknown): unknown;
  /** Set on credentials: the variable that holds it, named when it is missing. */
  variable?: string;
  /** Set on nested sections. */
  section?: () => SettingsClass;
}

const fields = new WeakMap<object, Map<string, FieldSpec>>();

function declare(spec: FieldSpec): PropertyDecorator {
  return (prototype, property) => {
    if (typeof property !== 'string') throw new TypeError('settings are named by strings');
    const type = prototype.constructor;
    let own = fields.get(type);
    if (!own) fields.set(type, (own = new Map()));
    own.set(property, spec);
  };
}

/** Every setting a class declares, its ancestors' included. */
function fieldsOf(type: object): Map<string, FieldSpec> {
  const all = new Map<string, FieldSpec>();
  const chain: object[] = [];
  for (let t: object | null = type; t && t !== Function.prototype; t = Object.getPrototypeOf(t))
    chain.unshift(t);
  for (const t of chain) for (const [name, spec] of fields.get(t) ?? []) all.set(name, spec);
  return all;
}

/** Reads `value` (a YAML mapping) into a new instance of `type`, reporting problems on `reader`. */
export function readSettings<T extends object>(
  type: SettingsClass<T>,
  value: unknown,
  reader: ConfigReader,
  path: string,
): T {
  const specs = fieldsOf(type);
  const tree = reader.section(value, path, [...specs.keys()]);
  const settings = new type() as Record<string, unknown>;
  for (const [name, spec] of specs) {
    settings[name] = spec.read(reader, tree[name], `${path}.${name}`, settings[name]);
  }
  return settings as T;
}

/**
 * What keeps a module off: `HUBSPOT_TOKEN is not set` for each credential of `settings`
 * (nested sections included) that has no value. Empty when it can run.
 */
export function missingSettings(settings: object): string[] {
  const missing: string[] = [];
  for (const [name, spec] of fieldsOf(settings.constructor)) {
    const value = (settings as Record<string, unknown>)[name];
    if (spec.variable && (value === undefined || value === null || value === '')) {
      missing.push(`${spec.variable} is not set`);
    }
    if (spec.section && value && typeof value === 'object') missing.push(...missingSettings(value));
  }
  return missing;
}

/**
 * A secret the module needs to run (a token, a webhook URL). Without it the module is off:
 * its subscribers are listed disabled with `<variable> is not set`. Never shown in messages.
 * @param variable the environment variable the default configuration reads it from
 */
export const CredentialSetting = (variable: string): PropertyDecorator =>
  declare({
    variable,
    read: (r, value, path) => {
      if (value !== undefined && value !== null && typeof value !== 'string' && typeof value !== 'number') {
        r.problem(path, `must be text (set ${variable})`);
        return undefined;
      }
      const text = value === undefined || value === null ? '' : String(value).trim();
      return text || undefined;
    },
  });

/** Free text; `required` makes an absent value a problem. */
export const TextSetting = (options: { required?: boolean } = {}): PropertyDecorator =>
  declare({
    read: (r, value, path, fallback) => {
      const text = r.string(value, path);
      if (text === undefined && options.required && fallback === undefined) r.problem(path, 'is required');
      return text ?? fallback;
    },
  });

/** An http(s) URL, without user name or password (credentials are settings of their own). */
export const UrlSetting = (): PropertyDecorator =>
  declare({
    read: (r, value, path, fallback) => {
      const text = r.string(value, path);
      if (text === undefined) return fallback;
      if (!URL.canParse(text) || !['http:', 'https:'].includes(new URL(text).protocol)) {
        r.problem(path, `must be an http(s) URL, got ${JSON.stringify(text)}`);
        return fallback;
      }
      if (new URL(text).username || new URL(text).password) {
        r.problem(path, 'must not hold a user name or password');
        return fallback;
      }
      return text.replace(/\/+$/, '');
    },
  });

/** A whole number from `min` to `max`. */
export const IntegerSetting = (options: { min: number; max: number }): PropertyDecorator =>
  declare({
    read: (r, value, path, fallback) => r.integer(value, path, fallback as number, options.min, options.max),
  });

export const BooleanSetting = (): PropertyDecorator =>
  declare({ read: (r, value, path, fallback) => r.boolean(value, path, fallback as boolean) });

/** One of `choices`. */
export const ChoiceSetting = (choices: readonly string[]): PropertyDecorator =>
  declare({
    read: (r, value, path, fallback) => r.choice(value, path, choices, fallback as string),
  });

/**
 * A list (YAML list, or comma-separated text); with `choices`, each item must be one of
 * them. An empty list is kept as empty (it switches off what the list selects).
 */
export const ListSetting = (options: { choices?: readonly string[] } = {}): PropertyDecorator =>
  declare({
    read: (r, value, path, fallback) => {
      const list = r.strings(value, path);
      if (list === undefined) return fallback;
      if (options.choices) {
        list.forEach((item, i) => {
          if (!options.choices!.includes(item)) {
            r.problem(
              `${path}[${i}]`,
              `must be one of ${options.choices!.join(', ')}, got ${JSON.stringify(item)}`,
            );
          }
        });
      }
      return list;
    },
  });

/** A nested mapping read into its own settings class. */
export const SectionSetting = (type: () => SettingsClass): PropertyDecorator =>
  declare({
    section: type,
    read: (r, value, path) => readSettings(type(), value, r, path),
  });
