import { Injectable } from '@nestjs/common';
import { type DeliveryContext, OnWhippyEvent, SubscriberRegistry } from '../../platform/bus/index.js';
import { ContactUpdated } from '../../platform/events/index.js';
import { AtsSettings, type BullhornSettings } from './ats.settings.js';
import { BullhornClient, type BullhornCandidate } from './bullhorn.client.js';
import { CandidateFinder } from './candidate-finder.js';

/**
 * `ats.bullhorn.opt-out`: a contact.updated whose communication preferences hold an opt-out
 * (`opt_in: false`) sets the SMS opt-in field (`optInField`, `smsOptIn` by default) of every
 * candidate with the contact's phone number or email to false. A candidate already opted out
 * is left alone, so replays change nothing.
 */
@Injectable()
export class BullhornOptOut {
  private readonly settings: BullhornSettings;

  constructor(
    settings: AtsSettings,
    private readonly client: BullhornClient,
    private readonly candidates: CandidateFinder,
    registry: SubscriberRegistry,
  ) {
    this.settings = settings.bullhorn;
    registry.requireSettings(['ats.bullhorn.opt-out'], settings.bullhorn);
  }

  @OnWhippyEvent(ContactUpdated, { id: 'ats.bullhorn.opt-out', orderBy: (event) => event.data.id })
  async optOut(event: ContactUpdated, ctx: DeliveryContext): Promise<void> {
    const contact = event.data;
    if (!(contact.communicationPreferences ?? []).some((preference) => preference.optIn === false)) return;
    const field = this.settings.optInField;

    const found = new Map<number, BullhornCandidate>();
    for (const address of [contact.phone, contact.email]) {
      if (!address?.trim()) continue;
      for (const candidate of await this.candidates.find(address, ctx.signal, [field])) {
        found.set(candidate.id, candidate);
      }
    }
    if (found.size === 0) {
      ctx.logger.log(`contact ${contact.id} opted out; no Bullhorn candidate has its phone or email`);
      return;
    }
    for (const candidate of found.values()) {
      if (candidate[field] === false) continue;
      await this.client.updateCandidate(candidate.id, { [field]: false }, ctx.signal);
      ctx.logger.log(`contact ${contact.id} opted out: candidate ${candidate.id} ${field} set false`);
    }
  }
}
