/** Every event type Whippy is known to send (shared/whippy/EVENTS.md). */
export const WHIPPY_EVENT_TYPES = [
  'message.created',
  'message.updated',
  'call.analyzed',
  'contact.created',
  'contact.updated',
  'conversation.created',
  'conversation.updated',
  'lead.new',
  'campaign.created',
  'campaign.updated',
  'message_template.created',
  'message_template.updated',
  'message_template.deleted',
  'sequence.created',
  'sequence.updated',
  'sequence_run.created',
  'sequence_run.updated',
  'step_contact.created',
  'step_contact.updated',
  'step.created',
  'step.updated',
] as const;

export type WhippyEventType = (typeof WHIPPY_EVENT_TYPES)[number];

const KNOWN = new Set<string>(WHIPPY_EVENT_TYPES);

export const isKnownEventType = (type: string): type is WhippyEventType => KNOWN.has(type);
