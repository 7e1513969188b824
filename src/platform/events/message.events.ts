import { WhippyAttachment } from './whippy-attachment.js';
import { WhippyEvent } from './whippy-event.js';
import {
  IntegerField,
  NumberField,
  ObjectArrayField,
  ObjectField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** Known values; Whippy adds others without notice, and they are kept as sent. */
export type WhippyMessageDirection = 'INBOUND' | 'OUTBOUND' | (string & {});

/** Known values; Whippy adds others without notice, and they are kept as sent. */
export type WhippyMessageType = 'sms' | 'mms' | 'email' | 'whatsapp' | 'note' | 'call' | (string & {});

/**
 * Known values (`webhook_delivered` is an inbound message's); Whippy adds others without
 * notice, and they are kept as sent.
 */
export type WhippyDeliveryStatus =
  | 'pending'
  | 'sent'
  | 'delivered'
  | 'delivery_unconfirmed'
  | 'failed'
  | 'delivery_failed'
  | 'sending_failed'
  | 'webhook_delivered'
  | (string & {});

/** What a call's AI analysis concluded (`metadata.analysis` of `call.analyzed`). */
export class WhippyCallAnalysis extends WhippyObject {
  @StringField() callSummary: string | null;
}

/**
 * A message's `metadata`: free-form in Whippy; the call fields below are the known ones, any
 * other key is in `extra`.
 */
export class WhippyMessageMetadata extends WhippyObject {
  /** Call length in seconds. */
  @NumberField() duration: number | null;
  /** The AI agent that took part in the call. */
  @StringField() agentId: string | null;
  @ObjectField(() => WhippyCallAnalysis) analysis: WhippyCallAnalysis | null;
}

/**
 * A message: SMS, MMS, email, WhatsApp, note, or a call (`type: 'call'`, with the transcript
 * in `body` and the recording in `attachments`).
 */
export class WhippyMessage extends WhippyObject {
  @StringField() id: string | null;
  /** An E.164 phone number, or an email address for email. */
  @StringField() to: string | null;
  /** An E.164 phone number, or an email address for email. */
  @StringField() from: string | null;
  /** The text; for a call, the transcript (lines prefixed `Contact:`, `User:`, `Agent:`). */
  @StringField() body: string | null;
  @StringField() direction: WhippyMessageDirection | null;
  @StringField() type: WhippyMessageType | null;
  @StringField() deliveryStatus: WhippyDeliveryStatus | null;
  @StringField() channelId: string | null;
  @StringField() contactId: string | null;
  @StringField() conversationId: string | null;
  @IntegerField() userId: number | null;
  @StringField() stepId: string | null;
  @StringField() stepContactId: string | null;
  @StringField() campaignId: string | null;
  @StringField() campaignContactId: string | null;
  @StringField() sequenceId: string | null;
  @StringField() language: string | null;
  @StringField() translatedBody: string | null;
  @StringField() translationLanguage: string | null;
  @ObjectArrayField(() => WhippyAttachment) attachments: WhippyAttachment[] | null;
  @StringField() emailSubject: string | null;
  @StringField() emailHtmlBody: string | null;
  @ObjectField(() => WhippyMessageMetadata) metadata: WhippyMessageMetadata | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class MessageCreated extends WhippyEvent<WhippyMessage> {
  static readonly type = 'message.created';
  static readonly dataClass = WhippyMessage;
  declare readonly type: typeof MessageCreated.type;
}

/** Fires again each time the message changes (delivery status); may arrive before `MessageCreated`. */
export class MessageUpdated extends WhippyEvent<WhippyMessage> {
  static readonly type = 'message.updated';
  static readonly dataClass = WhippyMessage;
  declare readonly type: typeof MessageUpdated.type;
}

/** A call was transcribed and analysed: `data` is the call message (`type: 'call'`). */
export class CallAnalyzed extends WhippyEvent<WhippyMessage> {
  static readonly type = 'call.analyzed';
  static readonly dataClass = WhippyMessage;
  declare readonly type: typeof CallAnalyzed.type;
}
