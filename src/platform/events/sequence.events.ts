import { WhippyStep } from './step.events.js';
import { WhippyEvent } from './whippy-event.js';
import {
  BooleanField,
  IntegerField,
  ObjectArrayField,
  ObjectField,
  StringArrayField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** No messages between `start` and `end` (`HH:MM`). */
export class WhippyQuietHours extends WhippyObject {
  @BooleanField() enabled: boolean | null;
  @StringField() start: string | null;
  @StringField() end: string | null;
  /** Read the hours in the contact's zone rather than `timezone`. */
  @BooleanField() useContactTimezone: boolean | null;
  @StringField() timezone: string | null;
}

/** Messages only on `days` (`monday`, …) between `start` and `end` (`HH:MM`). */
export class WhippyBusinessHours extends WhippyObject {
  @BooleanField() enabled: boolean | null;
  @StringArrayField() days: string[] | null;
  @StringField() start: string | null;
  @StringField() end: string | null;
  @StringField() timezone: string | null;
}

export class WhippySkipWeekends extends WhippyObject {
  @BooleanField() enabled: boolean | null;
  /** `next_business_day`, …; any value Whippy sends is kept. */
  @StringField() rescheduleTo: string | null;
}

export class WhippyLinkTracking extends WhippyObject {
  @BooleanField() enabled: boolean | null;
}

/** Sending limits, quiet hours, business hours and weekend rules of a sequence. */
export class WhippySequenceSettings extends WhippyObject {
  @IntegerField() maxMessagesPerDay: number | null;
  @IntegerField() maxMessagesPerHour: number | null;
  @ObjectField(() => WhippyQuietHours) quietHours: WhippyQuietHours | null;
  @ObjectField(() => WhippyBusinessHours) businessHours: WhippyBusinessHours | null;
  @ObjectField(() => WhippySkipWeekends) skipWeekends: WhippySkipWeekends | null;
  @ObjectField(() => WhippyLinkTracking) linkTracking: WhippyLinkTracking | null;
}

/** An automated series of messages (steps) sent to contacts who are added to it. */
export class WhippySequence extends WhippyObject {
  @StringField() id: string | null;
  @StringField() title: string | null;
  @StringField() description: string | null;
  /** `sequential`, …; any value Whippy sends is kept. */
  @StringField() type: string | null;
  /** `active`, …; any value Whippy sends is kept. */
  @StringField() status: string | null;
  @ObjectArrayField(() => WhippyStep) steps: WhippyStep[] | null;
  @StringField() industry: string | null;
  @StringField() accessLevel: string | null;
  @ObjectField(() => WhippySequenceSettings) settings: WhippySequenceSettings | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class SequenceCreated extends WhippyEvent<WhippySequence> {
  static readonly type = 'sequence.created';
  static readonly dataClass = WhippySequence;
  declare readonly type: typeof SequenceCreated.type;
}

export class SequenceUpdated extends WhippyEvent<WhippySequence> {
  static readonly type = 'sequence.updated';
  static readonly dataClass = WhippySequence;
  declare readonly type: typeof SequenceUpdated.type;
}
