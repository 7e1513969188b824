import type { AppConfig } from './config/app-config.js';
import { loadConfig, LoadConfigOptions } from './config/config.loader.js';
import { INTEGRATION_CONFIG_SECTIONS } from './integrations/index.js';

/** The service's configuration: the platform's sections and every integration's. */
export function loadAppConfig(options: LoadConfigOptions = {}): AppConfig {
  return loadConfig({ sections: INTEGRATION_CONFIG_SECTIONS, ...options });
}
