import { Injectable } from '@nestjs/common';
import { type DeliveryContext, OnWhippyEvent, SubscriberRegistry } from '../../platform/bus/index.js';
import { ContactCreated, ContactUpdated } from '../../platform/events/index.js';
import { CrmSettings } from './crm.settings.js';
import { HubspotContactResolver } from './hubspot-contact.resolver.js';

/**
 * `crm.hubspot.contacts`: each Whippy contact upserted as a HubSpot contact, matched by the
 * kept mapping, then email, then phone; HubSpot's 409 on a duplicate email resolves to the
 * contact it names. A contact's events run one at a time, in the order received.
 */
@Injectable()
export class HubspotContacts {
  constructor(
    settings: CrmSettings,
    private readonly contacts: HubspotContactResolver,
    registry: SubscriberRegistry,
  ) {
    registry.requireSettings(['crm.hubspot.contacts'], settings.hubspot);
  }

  @OnWhippyEvent(ContactCreated, ContactUpdated, {
    id: 'crm.hubspot.contacts',
    orderBy: (event) => event.data.id,
  })
  async upsert(event: ContactCreated | ContactUpdated, ctx: DeliveryContext): Promise<void> {
    const contact = event.data;
    if (!contact.id) {
      ctx.logger.warn(`event ${event.id} (${event.type}) has no contact id; not synced`);
      return;
    }
    const outcome = await this.contacts.sync({ ...contact, id: contact.id }, ctx.signal);
    ctx.logger.log(`contact ${contact.id}: ${outcome}`);
  }
}
