import type { WhippyMessage } from '../../platform/events/index.js';

/** What a notification says, before Slack or email shapes it. */
export interface Notice {
  /** One line: `New lead: Jordan Rivera`. */
  title: string;
  /** Text shown as a quote (the message); may be empty. */
  quote: string;
  /** Small print, one item each: the channel, the number, the time. */
  details: string[];
}

const CHANNELS: Record<string, string> = {
  sms: 'SMS',
  mms: 'MMS',
  whatsapp: 'WhatsApp message',
  email: 'email',
};

/** An inbound message, from a new lead or a known contact, named as well as the event allows. */
export function inboundNotice(message: WhippyMessage, contact: string | undefined, lead: boolean): Notice {
  const channel = CHANNELS[message.type ?? ''] ?? 'message';
  const who = contact || message.from || 'an unknown contact';
  const files = (message.attachments ?? []).filter((a) => a.url).length;
  const quote = [
    message.emailSubject ? `Subject: ${message.emailSubject}` : '',
    message.body?.trim() || (files > 0 ? '' : '(no text)'),
    files > 0 ? `(${files} attachment${files > 1 ? 's' : ''})` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const details = [lead ? `New lead · ${channel}` : channel];
  if (contact && message.from) details.push(`from ${message.from}`);
  if (message.createdAt) details.push(message.createdAt.date.toISOString().replace('.000Z', 'Z'));
  return { title: lead ? `New lead: ${who}` : `New ${channel} from ${who}`, quote, details };
}

/** A dead delivery, as DeliverySignal tells it. */
export interface DeadDelivery {
  deliveryId: string;
  subscriberId: string;
  eventId: string;
  eventType?: string;
  attempt: number;
  error: string | null;
}

/** Dead deliveries listed in a summary; the rest are counted. */
export const LISTED_IN_SUMMARY = 5;

/** One dead delivery (`count` 1), or a summary of `count` of them listing the first few. */
export function deadDeliveryNotice(dead: DeadDelivery[], count: number, minutes?: number): Notice {
  const line = (d: DeadDelivery) =>
    `${d.subscriberId}: event ${d.eventId}${d.eventType ? ` (${d.eventType})` : ''} after ${d.attempt} attempt(s): ${d.error ?? 'no error recorded'}`;
  if (count === 1 && dead.length === 1) {
    return {
      title: `Switchyard: a delivery to ${dead[0].subscriberId} is dead`,
      quote: line(dead[0]),
      details: [`Once the cause is fixed: switchyard retry ${dead[0].deliveryId}`],
    };
  }
  const more = count - dead.length;
  return {
    title: `Switchyard: ${count} more deliveries are dead${minutes ? ` (last ${minutes} min)` : ''}`,
    quote: [...dead.map(line), ...(more > 0 ? [`… and ${more} more`] : [])].join('\n'),
    details: [
      'Once the cause is fixed: switchyard redrive <subscriber id>; all of them: GET /admin/api/deliveries?status=dead',
    ],
  };
}
