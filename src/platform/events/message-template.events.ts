import { WhippyAttachment } from './whippy-attachment.js';
import { WhippyEvent } from './whippy-event.js';
import {
  IntegerField,
  ObjectArrayField,
  StringArrayField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** A saved message, with `{{placeholders}}`, that users insert into conversations. */
export class WhippyMessageTemplate extends WhippyObject {
  @StringField() id: string | null;
  @StringField() title: string | null;
  @StringField() message: string | null;
  @ObjectArrayField(() => WhippyAttachment) attachments: WhippyAttachment[] | null;
  @StringArrayField() channelIds: string[] | null;
  /** `organization`, …; any value Whippy sends is kept. */
  @StringField() accessLevel: string | null;
  @StringField() organizationId: string | null;
  @IntegerField() createdById: number | null;
  @IntegerField() updatedById: number | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class MessageTemplateCreated extends WhippyEvent<WhippyMessageTemplate> {
  static readonly type = 'message_template.created';
  static readonly dataClass = WhippyMessageTemplate;
  declare readonly type: typeof MessageTemplateCreated.type;
}

export class MessageTemplateUpdated extends WhippyEvent<WhippyMessageTemplate> {
  static readonly type = 'message_template.updated';
  static readonly dataClass = WhippyMessageTemplate;
  declare readonly type: typeof MessageTemplateUpdated.type;
}

/** `data` is the template as it was when deleted. */
export class MessageTemplateDeleted extends WhippyEvent<WhippyMessageTemplate> {
  static readonly type = 'message_template.deleted';
  static readonly dataClass = WhippyMessageTemplate;
  declare readonly type: typeof MessageTemplateDeleted.type;
}
