/**
 * The Whippy event catalog: what integrations import to name, receive and read events.
 * Event classes carry their Whippy type (`MessageCreated.type === 'message.created'`); data
 * classes expose Whippy's snake_case fields as camelCase properties, keep unknown fields in
 * `extra`, and hold timestamps as {@link WhippyTimestamp}.
 */
export { WHIPPY_EVENT_TYPES, isKnownEventType, type WhippyEventType } from './event-types.js';
export { WhippyEvent, UnknownWhippyEvent, type EventClass, type WhippyEventInit } from './whippy-event.js';
export { WhippyObject, describeFields, type FieldDescription } from './whippy-fields.js';
export { WhippyTimestamp } from './whippy-timestamp.js';
export { WhippyAttachment } from './whippy-attachment.js';
export {
  EVENT_CLASSES,
  eventClassFor,
  eventTypeMatches,
  typesMatching,
  type KnownWhippyEvent,
  type WhippyEventOf,
} from './event-catalog.js';
export { eventFieldPaths, nearestPath, type FieldKind } from './event-fields.js';
export {
  parseWhippyEvent,
  type WhippyEventInput,
  type WhippyEventParseResult,
} from './whippy-event.parser.js';

export {
  CallAnalyzed,
  MessageCreated,
  MessageUpdated,
  WhippyCallAnalysis,
  WhippyMessage,
  WhippyMessageMetadata,
  type WhippyDeliveryStatus,
  type WhippyMessageDirection,
  type WhippyMessageType,
} from './message.events.js';
export {
  ContactCreated,
  ContactUpdated,
  WhippyCommunicationPreference,
  WhippyContact,
  WhippyContactNote,
  WhippyContactTag,
  WhippyTag,
} from './contact.events.js';
export {
  ConversationCreated,
  ConversationUpdated,
  WhippyConversation,
  type WhippyConversationStatus,
} from './conversation.events.js';
export { LeadCreated, WhippyLead } from './lead.events.js';
export { CampaignCreated, CampaignUpdated, WhippyCampaign } from './campaign.events.js';
export {
  MessageTemplateCreated,
  MessageTemplateDeleted,
  MessageTemplateUpdated,
  WhippyMessageTemplate,
} from './message-template.events.js';
export {
  SequenceCreated,
  SequenceUpdated,
  WhippyBusinessHours,
  WhippyLinkTracking,
  WhippyQuietHours,
  WhippySequence,
  WhippySequenceSettings,
  WhippySkipWeekends,
} from './sequence.events.js';
export { SequenceRunCreated, SequenceRunUpdated, WhippySequenceRun } from './sequence-run.events.js';
export { StepContactCreated, StepContactUpdated, WhippyStepContact } from './step-contact.events.js';
export {
  StepCreated,
  StepUpdated,
  WhippyStep,
  WhippyStepAnalytics,
  WhippyStepScheduleOptions,
} from './step.events.js';
