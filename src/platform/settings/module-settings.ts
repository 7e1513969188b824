import { FactoryProvider, Inject } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import type { ConfigReader, ConfigSection } from '../../config/config-reader.js';
import { readSettings, type SettingsClass } from './setting.decorators.js';

/**
 * Reads a module's section with the platform's rules: `problem(path, message)` collects
 * every issue and the start stops with all of them; `section`, `string`, `strings`,
 * `integer`, `boolean`, `choice` read and check one value each.
 */
export type SettingsReader = ConfigReader;

/**
 * A module's own configuration section (`crm:`, `relay:`): read and validated at start with
 * the platform's sections, then injected typed into the module's providers. A module never
 * reads `src/config`.
 */
export interface ModuleSettings<T> extends ConfigSection<T> {
  /** The top-level key in the YAML files. */
  readonly name: string;
  /** What the module's providers inject (`@InjectSettings(section)`). */
  readonly token: string | symbol | SettingsClass;
  /** Add to the module's `providers`. */
  readonly provider: FactoryProvider<T>;
}

/**
 * A section read by a function, for shapes a class cannot state (a map of named targets):
 * `read(value, reader, path)` returns the typed settings, reporting problems on `reader`.
 */
export function defineSettings<T>(
  name: string,
  read: (value: unknown, reader: SettingsReader, path: string) => T,
): ModuleSettings<T>;
/**
 * A section read by a settings class: its decorated properties are the settings, their
 * initializers the defaults, and the class itself is the injection token.
 *
 * ```ts
 * export const crmSettings = defineSettings('crm', CrmSettings);
 * @Module({ providers: [crmSettings.provider, HubspotContacts] })
 * // and in a provider: constructor(private readonly settings: CrmSettings) {}
 * ```
 */
export function defineSettings<T extends object>(name: string, type: SettingsClass<T>): ModuleSettings<T>;
export function defineSettings<T>(
  name: string,
  source: SettingsClass<T & object> | ((value: unknown, reader: SettingsReader, path: string) => T),
): ModuleSettings<T> {
  const isClass = typeof source === 'function' && /^class\b/.test(Function.prototype.toString.call(source));
  const read = isClass
    ? (value: unknown, reader: SettingsReader, path: string) =>
        readSettings(source as SettingsClass<T & object>, value, reader, path) as T
    : (source as (value: unknown, reader: SettingsReader, path: string) => T);
  const token = isClass ? (source as SettingsClass) : Symbol(`settings:${name}`);
  return {
    name,
    read,
    token,
    provider: {
      provide: token,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): T => {
        const sections = config.get('integrations', { infer: true });
        if (!(name in sections)) {
          throw new Error(
            `the '${name}' settings were not loaded: list the section with the company's modules (src/integrations/index.ts) or pass it to the test harness`,
          );
        }
        return sections[name] as T;
      },
    },
  };
}

/** Injects a module's settings into a constructor parameter. */
export const InjectSettings = (settings: ModuleSettings<unknown>): ParameterDecorator =>
  Inject(settings.token);
