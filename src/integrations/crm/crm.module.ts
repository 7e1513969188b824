import { Module } from '@nestjs/common';
import { BusModule } from '../../platform/bus/index.js';
import { CrmSettings, crmSettings } from './crm.settings.js';
import { HubspotContactResolver } from './hubspot-contact.resolver.js';
import { HubspotContacts } from './hubspot-contacts.subscriber.js';
import { HubspotTimeline } from './hubspot-timeline.subscriber.js';
import { HubspotClient } from './hubspot.client.js';

/**
 * The CRM: Whippy contacts and their conversations in HubSpot CRM v3 (`crm.hubspot.contacts`,
 * `crm.hubspot.timeline`). Off until HUBSPOT_TOKEN is set.
 */
@Module({
  imports: [BusModule],
  providers: [
    crmSettings.provider,
    {
      provide: HubspotClient,
      inject: [CrmSettings],
      useFactory: (settings: CrmSettings) => new HubspotClient(settings.hubspot),
    },
    HubspotContactResolver,
    HubspotContacts,
    HubspotTimeline,
  ],
})
export class CrmModule {}
