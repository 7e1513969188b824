import { WhippyAttachment } from './whippy-attachment.js';
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

/** Counters of a sequence step. */
export class WhippyStepAnalytics extends WhippyObject {
  @IntegerField() responses: number | null;
  @IntegerField() linkClicks: number | null;
  @IntegerField() unsubscribes: number | null;
  @IntegerField() sentMessages: number | null;
  @IntegerField() slatedMessages: number | null;
  @IntegerField() failedDeliveries: number | null;
}

/** How long after the previous step this one is sent. */
export class WhippyStepScheduleOptions extends WhippyObject {
  @IntegerField() days: number | null;
  @IntegerField() hours: number | null;
  @IntegerField() minutes: number | null;
  /** An IANA zone, e.g. `America/Chicago`. */
  @StringField() timezone: string | null;
}

/** One message of a sequence. */
export class WhippyStep extends WhippyObject {
  @StringField() id: string | null;
  @StringField() title: string | null;
  @StringField() body: string | null;
  /** `active`, …; any value Whippy sends is kept. */
  @StringField() status: string | null;
  /** 1 for the first step. */
  @IntegerField() position: number | null;
  @StringField() sequenceId: string | null;
  @ObjectField(() => WhippyStepAnalytics) analytics: WhippyStepAnalytics | null;
  @ObjectArrayField(() => WhippyAttachment) attachments: WhippyAttachment[] | null;
  @ObjectField(() => WhippyStepScheduleOptions) scheduleOptions: WhippyStepScheduleOptions | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class StepCreated extends WhippyEvent<WhippyStep> {
  static readonly type = 'step.created';
  static readonly dataClass = WhippyStep;
  declare readonly type: typeof StepCreated.type;
}

export class StepUpdated extends WhippyEvent<WhippyStep> {
  static readonly type = 'step.updated';
  static readonly dataClass = WhippyStep;
  declare readonly type: typeof StepUpdated.type;
}
