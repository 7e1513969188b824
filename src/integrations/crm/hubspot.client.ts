import { OutboundClient, PermanentFailure } from '../../platform/outbound/index.js';
import type { HubspotSettings } from './crm.settings.js';

/** The CRM objects Switchyard writes, by their v3 path name. */
export type HubspotObjectType = 'contacts' | 'communications' | 'emails' | 'notes' | 'calls';

/** HubSpot-defined association type ids, from each engagement to a contact. */
export const CONTACT_ASSOCIATION: Record<Exclude<HubspotObjectType, 'contacts'>, number> = {
  communications: 81,
  emails: 198,
  notes: 202,
  calls: 194,
};

export type HubspotProperties = Record<string, string>;

interface HubspotObject {
  id: string;
  properties: Record<string, string | null>;
}

/** `Contact already exists. Existing ID: 901`: HubSpot's 409 on a duplicate email names the contact. */
const EXISTING_ID = /Existing ID:\s*(\d+)/i;

/**
 * The few HubSpot CRM v3 calls the CRM module makes, over the platform's outbound client
 * (bearer token, timeouts, 429 and error mapping).
 */
export class HubspotClient {
  private readonly http: OutboundClient;

  constructor(settings: Pick<HubspotSettings, 'token' | 'baseUrl' | 'timeoutMs'>) {
    this.http = new OutboundClient({
      name: 'HubSpot',
      baseUrl: settings.baseUrl,
      timeoutMs: settings.timeoutMs,
      headers: { authorization: `Bearer ${settings.token ?? ''}` },
      // v3 paths hold object ids, never a secret; emails and phones go in search bodies.
      showPath: true,
    });
  }

  /** The first contact whose `property` (email, phone, mobilephone) equals `value`. */
  async findContact(properties: string[], value: string, signal: AbortSignal): Promise<string | undefined> {
    const response = await this.http.request({
      method: 'POST',
      url: 'crm/v3/objects/contacts/search',
      what: `search contacts by ${properties.join('/')}`,
      // One filter group per property: HubSpot ORs the groups.
      json: {
        filterGroups: properties.map((propertyName) => ({
          filters: [{ propertyName, operator: 'EQ', value }],
        })),
        properties: ['email', 'phone'],
        limit: 1,
      },
      signal,
    });
    return response.json<{ results?: HubspotObject[] }>()?.results?.[0]?.id;
  }

  /** Creates a contact; a 409 on its email is resolved to the existing contact, which is returned. */
  async createContact(
    properties: HubspotProperties,
    signal: AbortSignal,
  ): Promise<{ id: string; existed: boolean }> {
    const response = await this.http.request({
      method: 'POST',
      url: 'crm/v3/objects/contacts',
      what: 'create contact',
      json: { properties },
      accept: [409],
      signal,
    });
    if (response.status === 409) {
      const message = response.json<{ message?: string }>()?.message ?? response.text;
      const existing = EXISTING_ID.exec(message)?.[1];
      if (!existing)
        throw new PermanentFailure(`HubSpot create contact answered 409 without the existing id`);
      return { id: existing, existed: true };
    }
    return { id: this.idOf(response.json<HubspotObject>(), 'create contact'), existed: false };
  }

  /** Creates an engagement associated with a contact; returns its id. */
  async create(
    type: Exclude<HubspotObjectType, 'contacts'>,
    properties: HubspotProperties,
    contactId: string,
    signal: AbortSignal,
  ): Promise<string> {
    const response = await this.http.request({
      method: 'POST',
      url: `crm/v3/objects/${type}`,
      what: `create ${type}`,
      json: {
        properties,
        associations: [
          {
            to: { id: contactId },
            types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: CONTACT_ASSOCIATION[type] }],
          },
        ],
      },
      signal,
    });
    return this.idOf(response.json<HubspotObject>(), `create ${type}`);
  }

  /** Updates an object's properties; false when HubSpot no longer has it (deleted there). */
  async update(
    type: HubspotObjectType,
    id: string,
    properties: HubspotProperties,
    signal: AbortSignal,
  ): Promise<boolean> {
    const response = await this.http.request({
      method: 'PATCH',
      url: `crm/v3/objects/${type}/${encodeURIComponent(id)}`,
      what: `update ${type}`,
      json: { properties },
      accept: [404],
      signal,
    });
    return response.status !== 404;
  }

  /** Moves an object to HubSpot's recycle bin (a duplicate that lost a race). */
  async archive(type: HubspotObjectType, id: string, signal: AbortSignal): Promise<void> {
    await this.http.request({
      method: 'DELETE',
      url: `crm/v3/objects/${type}/${encodeURIComponent(id)}`,
      what: `archive ${type}`,
      accept: [404],
      signal,
    });
  }

  private idOf(body: HubspotObject | undefined, what: string): string {
    if (!body?.id) throw new Error(`HubSpot ${what} answered without an id`);
    return String(body.id);
  }
}
