import { WhippyContact } from './contact.events.js';
import { WhippyConversation } from './conversation.events.js';
import { WhippyMessage } from './message.events.js';
import { WhippyEvent } from './whippy-event.js';
import { ObjectField, WhippyObject } from './whippy-fields.js';

/** A new lead: the first inbound message of a new contact, with the contact and conversation. */
export class WhippyLead extends WhippyObject {
  @ObjectField(() => WhippyContact) contact: WhippyContact | null;
  @ObjectField(() => WhippyConversation) conversation: WhippyConversation | null;
  @ObjectField(() => WhippyMessage) inboundMessage: WhippyMessage | null;
}

/** Whippy's `lead.new`. */
export class LeadCreated extends WhippyEvent<WhippyLead> {
  static readonly type = 'lead.new';
  static readonly dataClass = WhippyLead;
  declare readonly type: typeof LeadCreated.type;
}
