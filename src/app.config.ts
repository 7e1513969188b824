import type { AppConfig } from './config/app-config.js';
import { loadConfig, LoadConfigOptions } from './config/config.loader.js';
import { INTEGRATION_SETTINGS } from './integrations/index.js';

/**
 * The service's configuration: the platform's sections and every integration's settings,
 * whether or not this process runs the integration (a test booting the platform alone still
 * reads config/default.yaml, which holds them). `options.sections` adds more.
 */
export function loadAppConfig(options: LoadConfigOptions = {}): AppConfig {
  const extra = (options.sections ?? []).filter(
    (section) => !INTEGRATION_SETTINGS.includes(section as never),
  );
  return loadConfig({ ...options, sections: [...INTEGRATION_SETTINGS, ...extra] });
}
