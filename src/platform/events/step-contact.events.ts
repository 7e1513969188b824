import { WhippyContact } from './contact.events.js';
import { WhippyMessage } from './message.events.js';
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

/**
 * One contact at one step of a sequence. Inside a sequence run's `step_contacts` Whippy sends
 * only `id`, `status`, `step_id`, `clicked_link`, `unsubscribed` and `contact_messages`.
 */
export class WhippyStepContact extends WhippyObject {
  @StringField() id: string | null;
  /** `pending`, `finished`, …; any value Whippy sends is kept. */
  @StringField() status: string | null;
  /** A summary: `id`, `name`, `email`, `phone`. */
  @ObjectField(() => WhippyContact) contact: WhippyContact | null;
  @StringField() stepId: string | null;
  @StringField() sequenceId: string | null;
  @StringField() channelId: string | null;
  @IntegerField() addedById: number | null;
  @BooleanField() clickedLink: boolean | null;
  @BooleanField() unsubscribed: boolean | null;
  @TimestampField() scheduledAt: WhippyTimestamp | null;
  @TimestampField() runCreatedAt: WhippyTimestamp | null;
  @TimestampField() runUpdatedAt: WhippyTimestamp | null;
  /** The messages this step sent (`id`, `delivery_status`, `contact_id`, `conversation_id`, `body`, `attachments`). */
  @ObjectArrayField(() => WhippyMessage) contactMessages: WhippyMessage[] | null;
}

export class StepContactCreated extends WhippyEvent<WhippyStepContact> {
  static readonly type = 'step_contact.created';
  static readonly dataClass = WhippyStepContact;
  declare readonly type: typeof StepContactCreated.type;
}

export class StepContactUpdated extends WhippyEvent<WhippyStepContact> {
  static readonly type = 'step_contact.updated';
  static readonly dataClass = WhippyStepContact;
  declare readonly type: typeof StepContactUpdated.type;
}
