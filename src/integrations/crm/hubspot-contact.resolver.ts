import { Injectable } from '@nestjs/common';
import { ModuleStore, type ModuleState } from '../../platform/bus/index.js';
import { type WhippyContact, type WhippyMessage, WhippyTimestamp } from '../../platform/events/index.js';
import { HubspotClient, type HubspotProperties } from './hubspot.client.js';

/** The HubSpot contact a Whippy contact maps to, and the Whippy `updated_at` last written. */
export interface ContactMapping {
  id: string;
  updatedAt?: string;
}

export type ContactOutcome = 'created' | 'updated' | 'matched' | 'unchanged';

/** The module's name in the ModuleStore. */
export const HUBSPOT_STATE = 'crm.hubspot';

/**
 * Finds or creates the HubSpot contact of a Whippy contact: the kept mapping first, then
 * the email, then the phone (HubSpot's search), else a new contact, whose mapping is kept.
 * Shared by both subscribers, so a contact and its first message never create it twice in
 * this process; across processes `putIfAbsent` decides, and a loser archives its duplicate.
 */
@Injectable()
export class HubspotContactResolver {
  private readonly state: ModuleState;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly hubspot: HubspotClient,
    store: ModuleStore,
  ) {
    this.state = store.scope(HUBSPOT_STATE);
  }

  /** contact.created/updated: the contact upserted with Whippy's fields; older data never wins. */
  sync(contact: WhippyContact & { id: string }, signal: AbortSignal): Promise<ContactOutcome> {
    return this.locked(contact.id, async () => {
      const properties = contactProperties(contact);
      const updatedAt = contact.updatedAt?.raw;
      const mapped = await this.state.get<ContactMapping>('contact', contact.id);
      if (mapped?.updatedAt && !isNewer(contact.updatedAt, mapped.updatedAt)) return 'unchanged';

      if (mapped && (await this.hubspot.update('contacts', mapped.id, properties, signal))) {
        await this.state.put('contact', contact.id, { id: mapped.id, updatedAt });
        return 'updated';
      }
      const found =
        (contact.email && (await this.hubspot.findContact(['email'], contact.email, signal))) ||
        (contact.phone && (await this.hubspot.findContact(['phone', 'mobilephone'], contact.phone, signal)));
      if (found) {
        await this.hubspot.update('contacts', found, properties, signal);
        await this.state.put('contact', contact.id, { id: found, updatedAt });
        return 'matched';
      }
      const created = await this.hubspot.createContact(properties, signal);
      if (created.existed) await this.hubspot.update('contacts', created.id, properties, signal);
      await this.state.put('contact', contact.id, { id: created.id, updatedAt });
      return created.existed ? 'matched' : 'created';
    });
  }

  /**
   * The contact a message goes on: the mapping of its `contact_id`, else the person on the
   * other end (`from` when inbound, `to` when outbound) found by phone or email, else created.
   */
  forMessage(message: WhippyMessage, signal: AbortSignal): Promise<string> {
    const address = (message.direction === 'INBOUND' ? message.from : message.to)?.trim() || undefined;
    const key = message.contactId ?? `address:${address}`;
    return this.locked(key, async () => {
      if (message.contactId) {
        const mapped = await this.state.get<ContactMapping>('contact', message.contactId);
        if (mapped) return mapped.id;
      }
      if (!address) {
        throw new Error(
          `message ${message.id} names no contact HubSpot knows and no ${message.direction === 'INBOUND' ? 'from' : 'to'} address`,
        );
      }
      const byEmail = address.includes('@');
      const found = await this.hubspot.findContact(
        byEmail ? ['email'] : ['phone', 'mobilephone'],
        address,
        signal,
      );
      const created = found
        ? undefined
        : await this.hubspot.createContact(byEmail ? { email: address } : { phone: address }, signal);
      const id = found ?? created!.id;
      if (!message.contactId) return id;
      const kept = await this.state.putIfAbsent<ContactMapping>('contact', message.contactId, { id });
      // Another process mapped the contact first: the one made here is a duplicate.
      if (kept.value.id !== id && created && !created.existed)
        await this.hubspot.archive('contacts', id, signal);
      return kept.value.id;
    });
  }

  /** One at a time per key in this process: the second waits and then finds the mapping. */
  private async locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    }
  }
}

/** HubSpot's default contact properties from Whippy's contact; absent fields are left alone. */
export function contactProperties(contact: WhippyContact): HubspotProperties {
  const properties: HubspotProperties = {};
  if (contact.firstName || contact.lastName) {
    if (contact.firstName) properties.firstname = contact.firstName;
    if (contact.lastName) properties.lastname = contact.lastName;
  } else if (contact.name) {
    properties.firstname = contact.name;
  }
  if (contact.email) properties.email = contact.email.trim();
  if (contact.phone) properties.phone = contact.phone.trim();
  return properties;
}

/**
 * Whether `next` is later than the `updated_at` last written (`stored`, as Whippy sent it).
 * Whippy's timestamps carry microseconds; both are compared to the microsecond. An event
 * without `updated_at` cannot be ordered and is applied.
 */
export function isNewer(next: WhippyTimestamp | null | undefined, stored: string | undefined): boolean {
  const last = stored ? WhippyTimestamp.parse(stored) : null;
  if (!next || !last) return true;
  return sortable(next) > sortable(last);
}

function sortable({ date, raw }: WhippyTimestamp): string {
  const fraction = /T\d{2}:\d{2}:\d{2}[.,](\d{1,9})/.exec(raw)?.[1] ?? '';
  return `${date.toISOString().slice(0, 19)}.${fraction.padEnd(9, '0')}`;
}
