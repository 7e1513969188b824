import { WhippyEvent } from './whippy-event.js';
import { IdField, IntegerField, StringField, TimestampField, WhippyObject } from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** Known values; Whippy adds others without notice, and they are kept as sent. */
export type WhippyConversationStatus = 'open' | 'closed' | 'spam' | (string & {});

/** A conversation: one contact on one channel. */
export class WhippyConversation extends WhippyObject {
  @StringField() id: string | null;
  @StringField() status: WhippyConversationStatus | null;
  @StringField() contactId: string | null;
  @StringField() channelId: string | null;
  /** `phone`, …; any value Whippy sends is kept. */
  @StringField() channelType: string | null;
  @StringField() language: string | null;
  @StringField() contactLanguage: string | null;
  @IntegerField() unreadCount: number | null;
  @IntegerField() assignedUserId: number | null;
  /** Whippy does not say whether team ids are integers (like user ids) or uuids. */
  @IdField() assignedTeamId: string | number | null;
  @TimestampField() lastMessageDate: WhippyTimestamp | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class ConversationCreated extends WhippyEvent<WhippyConversation> {
  static readonly type = 'conversation.created';
  static readonly dataClass = WhippyConversation;
  declare readonly type: typeof ConversationCreated.type;
}

export class ConversationUpdated extends WhippyEvent<WhippyConversation> {
  static readonly type = 'conversation.updated';
  static readonly dataClass = WhippyConversation;
  declare readonly type: typeof ConversationUpdated.type;
}
