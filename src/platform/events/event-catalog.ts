import { CampaignCreated, CampaignUpdated } from './campaign.events.js';
import { ContactCreated, ContactUpdated } from './contact.events.js';
import { ConversationCreated, ConversationUpdated } from './conversation.events.js';
import { WHIPPY_EVENT_TYPES, type WhippyEventType } from './event-types.js';
import { LeadCreated } from './lead.events.js';
import {
  MessageTemplateCreated,
  MessageTemplateDeleted,
  MessageTemplateUpdated,
} from './message-template.events.js';
import { CallAnalyzed, MessageCreated, MessageUpdated } from './message.events.js';
import { SequenceRunCreated, SequenceRunUpdated } from './sequence-run.events.js';
import { SequenceCreated, SequenceUpdated } from './sequence.events.js';
import { StepContactCreated, StepContactUpdated } from './step-contact.events.js';
import { StepCreated, StepUpdated } from './step.events.js';
import type { EventClass } from './whippy-event.js';

/** The catalog: every known Whippy event type and the class its events become. */
export const EVENT_CLASSES = Object.freeze({
  [MessageCreated.type]: MessageCreated,
  [MessageUpdated.type]: MessageUpdated,
  [CallAnalyzed.type]: CallAnalyzed,
  [ContactCreated.type]: ContactCreated,
  [ContactUpdated.type]: ContactUpdated,
  [ConversationCreated.type]: ConversationCreated,
  [ConversationUpdated.type]: ConversationUpdated,
  [LeadCreated.type]: LeadCreated,
  [CampaignCreated.type]: CampaignCreated,
  [CampaignUpdated.type]: CampaignUpdated,
  [MessageTemplateCreated.type]: MessageTemplateCreated,
  [MessageTemplateUpdated.type]: MessageTemplateUpdated,
  [MessageTemplateDeleted.type]: MessageTemplateDeleted,
  [SequenceCreated.type]: SequenceCreated,
  [SequenceUpdated.type]: SequenceUpdated,
  [SequenceRunCreated.type]: SequenceRunCreated,
  [SequenceRunUpdated.type]: SequenceRunUpdated,
  [StepContactCreated.type]: StepContactCreated,
  [StepContactUpdated.type]: StepContactUpdated,
  [StepCreated.type]: StepCreated,
  [StepUpdated.type]: StepUpdated,
} satisfies Record<WhippyEventType, EventClass>);

/** The class of events of a known type, e.g. `WhippyEventOf<'message.created'>` is `MessageCreated`. */
export type WhippyEventOf<T extends WhippyEventType> = InstanceType<(typeof EVENT_CLASSES)[T]>;

/** Any event of a type the catalog knows; `type` tells them apart. */
export type KnownWhippyEvent = WhippyEventOf<WhippyEventType>;

const CLASSES_BY_TYPE: ReadonlyMap<string, EventClass> = new Map(Object.entries(EVENT_CLASSES));

/** The catalog class for a Whippy event type, or undefined for a type the catalog lacks. */
export function eventClassFor(type: string): EventClass | undefined {
  return CLASSES_BY_TYPE.get(type);
}

/**
 * Whether an event type matches a subscription pattern: `'*'` matches every type, a `*`
 * segment matches any one segment (`'message.*'`, `'*.created'`), anything else is an exact
 * type. `'message.*'` does not match `message_template.*` nor `call.analyzed`.
 */
export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  if (!pattern.includes('*')) return false;
  const want = pattern.split('.');
  const have = type.split('.');
  return want.length === have.length && want.every((segment, i) => segment === '*' || segment === have[i]);
}

/** The known types a pattern matches (see {@link eventTypeMatches}), in catalog order; [] for none. */
export function typesMatching(pattern: string): WhippyEventType[] {
  return WHIPPY_EVENT_TYPES.filter((type) => eventTypeMatches(pattern, type));
}
