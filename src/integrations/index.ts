import { relayConfigSection } from './relay/relay.config.js';
import { RelayModule } from './relay/relay.module.js';

/**
 * Every integration: its Nest module, and the configuration section it owns (validated at
 * start with the platform's). A new integration adds one entry to each list.
 */
export const INTEGRATION_MODULES = [RelayModule];

export const INTEGRATION_CONFIG_SECTIONS = [relayConfigSection];
