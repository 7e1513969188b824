import { WhippyContact } from './contact.events.js';
import { WhippyStepContact } from './step-contact.events.js';
import { WhippyEvent } from './whippy-event.js';
import {
  IntegerField,
  ObjectArrayField,
  ObjectField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** One contact's pass through a sequence. */
export class WhippySequenceRun extends WhippyObject {
  @StringField() id: string | null;
  /** `active`, …; any value Whippy sends is kept. */
  @StringField() status: string | null;
  /** A summary: `id`, `name`, `email`, `phone`. */
  @ObjectField(() => WhippyContact) contact: WhippyContact | null;
  @StringField() channelId: string | null;
  @StringField() sequenceId: string | null;
  @StringField() lastStepId: string | null;
  @IntegerField() addedById: number | null;
  @ObjectArrayField(() => WhippyStepContact) stepContacts: WhippyStepContact[] | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class SequenceRunCreated extends WhippyEvent<WhippySequenceRun> {
  static readonly type = 'sequence_run.created';
  static readonly dataClass = WhippySequenceRun;
  declare readonly type: typeof SequenceRunCreated.type;
}

export class SequenceRunUpdated extends WhippyEvent<WhippySequenceRun> {
  static readonly type = 'sequence_run.updated';
  static readonly dataClass = WhippySequenceRun;
  declare readonly type: typeof SequenceRunUpdated.type;
}
