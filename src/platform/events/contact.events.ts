import { WhippyEvent } from './whippy-event.js';
import {
  BooleanField,
  IntegerField,
  ObjectArrayField,
  ObjectField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** Whether the contact accepts messages on one channel. */
export class WhippyCommunicationPreference extends WhippyObject {
  @StringField() id: string | null;
  @StringField() channelId: string | null;
  @StringField() contactId: string | null;
  @BooleanField() optIn: boolean | null;
  @TimestampField() optInDate: WhippyTimestamp | null;
  @TimestampField() optOutDate: WhippyTimestamp | null;
  @TimestampField() lastCampaignDate: WhippyTimestamp | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class WhippyContactNote extends WhippyObject {
  @StringField() id: string | null;
  @StringField() body: string | null;
  @IntegerField() userId: number | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class WhippyTag extends WhippyObject {
  @StringField() id: string | null;
  @StringField() name: string | null;
  /** A CSS colour, e.g. `#2E7D32`. */
  @StringField() color: string | null;
}

/** A tag as applied to a contact. */
export class WhippyContactTag extends WhippyObject {
  @StringField() id: string | null;
  @ObjectField(() => WhippyTag) tag: WhippyTag | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

/**
 * A contact (a person). Inside sequence runs and step contacts Whippy sends a summary (`id`,
 * `name`, `email`, `phone`): the other fields are then null.
 */
export class WhippyContact extends WhippyObject {
  @StringField() id: string | null;
  @StringField() name: string | null;
  @StringField() firstName: string | null;
  @StringField() lastName: string | null;
  @StringField() email: string | null;
  /** E.164, e.g. `+15555550123`. */
  @StringField() phone: string | null;
  /** `open`, …; any value Whippy sends is kept. */
  @StringField() state: string | null;
  @BooleanField() blocked: boolean | null;
  @ObjectArrayField(() => WhippyContactNote) notes: WhippyContactNote[] | null;
  @ObjectArrayField(() => WhippyContactTag) contactTags: WhippyContactTag[] | null;
  @ObjectArrayField(() => WhippyCommunicationPreference)
  communicationPreferences: WhippyCommunicationPreference[] | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class ContactCreated extends WhippyEvent<WhippyContact> {
  static readonly type = 'contact.created';
  static readonly dataClass = WhippyContact;
  declare readonly type: typeof ContactCreated.type;
}

export class ContactUpdated extends WhippyEvent<WhippyContact> {
  static readonly type = 'contact.updated';
  static readonly dataClass = WhippyContact;
  declare readonly type: typeof ContactUpdated.type;
}
