import { atsSettings } from './ats/ats.settings.js';
import { AtsModule } from './ats/ats.module.js';
import { crmSettings } from './crm/crm.settings.js';
import { CrmModule } from './crm/crm.module.js';
import { notificationsSettings } from './notifications/notifications.settings.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { relaySettings } from './relay/relay.config.js';
import { RelayModule } from './relay/relay.module.js';

/**
 * The company's integrations: main.ts runs these modules, and the configuration is read with
 * their settings. A new integration adds its module and its settings here, nothing else.
 */
export const INTEGRATION_MODULES = [RelayModule, CrmModule, AtsModule, NotificationsModule];

export const INTEGRATION_SETTINGS = [relaySettings, crmSettings, atsSettings, notificationsSettings];
