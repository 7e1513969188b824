import { Injectable } from '@nestjs/common';
import { ModuleStore, type ModuleState } from '../../platform/bus/index.js';
import { LeadCreated, MessageCreated, type WhippyMessage } from '../../platform/events/index.js';
import { inboundNotice, type Notice } from './notice.js';

/** Which event notifies of a message, and whether that notification went out. */
interface Claim {
  eventId: string;
  sent: boolean;
}

/** Message types that notify; notes are internal and calls come with their own events. */
const NOTIFYING_TYPES = new Set(['sms', 'mms', 'whatsapp', 'email']);

export const NOTIFICATIONS_MODULE = 'notifications';

/** A message to notify of, and its notice. */
export interface Pending {
  messageId: string;
  notice: Notice;
}

/**
 * What the Slack and email subscribers share: which events notify (inbound messages and
 * `lead.new`), what the notice says, and one notification per message and channel: the
 * `lead.new` of a first message and that message's `message.created` notify once, and so do
 * replays and Whippy's retries. The first event to claim a message id owns it.
 */
@Injectable()
export class InboundNotices {
  private readonly state: ModuleState;

  constructor(store: ModuleStore) {
    this.state = store.scope(NOTIFICATIONS_MODULE);
  }

  /** The message an event is about: a lead's first message, or the message itself. */
  static messageOf(event: MessageCreated | LeadCreated): WhippyMessage | null {
    return event instanceof LeadCreated ? event.data.inboundMessage : event.data;
  }

  /** The notice of an event, or undefined when it does not notify. */
  async prepare(event: MessageCreated | LeadCreated): Promise<Pending | undefined> {
    const message = InboundNotices.messageOf(event);
    if (!message?.id || message.direction !== 'INBOUND' || !NOTIFYING_TYPES.has(message.type ?? '')) return;
    if (event instanceof LeadCreated) {
      const contact = event.data.contact;
      const name = contact?.name?.trim() || [contact?.firstName, contact?.lastName].filter(Boolean).join(' ');
      // Remembered so that the contact's later messages are named too.
      if (contact?.id && name) await this.state.put('contact', contact.id, { name });
      return { messageId: message.id, notice: inboundNotice(message, name || undefined, true) };
    }
    const known = message.contactId
      ? await this.state.get<{ name: string }>('contact', message.contactId)
      : undefined;
    return { messageId: message.id, notice: inboundNotice(message, known?.name, false) };
  }

  /** True when this event should send the channel's notification of the message. */
  async claim(channel: string, messageId: string, eventId: string): Promise<boolean> {
    const { value, created } = await this.state.putIfAbsent<Claim>(channel, messageId, {
      eventId,
      sent: false,
    });
    // A retry of the claiming event sends until it has sent; any other event, never.
    return created || (value.eventId === eventId && !value.sent);
  }

  async sent(channel: string, messageId: string, eventId: string): Promise<void> {
    await this.state.put(channel, messageId, { eventId, sent: true } satisfies Claim);
  }
}
