import { WhippyAttachment } from './whippy-attachment.js';
import { WhippyEvent } from './whippy-event.js';
import { ObjectArrayField, StringField, TimestampField, WhippyObject } from './whippy-fields.js';
import type { WhippyTimestamp } from './whippy-timestamp.js';

/** A bulk message sent to many contacts. */
export class WhippyCampaign extends WhippyObject {
  @StringField() id: string | null;
  @StringField() title: string | null;
  @StringField() body: string | null;
  /** `draft`, `scheduled`, …; any value Whippy sends is kept. */
  @StringField() status: string | null;
  @TimestampField() scheduleAt: WhippyTimestamp | null;
  @ObjectArrayField(() => WhippyAttachment) attachments: WhippyAttachment[] | null;
  @TimestampField() createdAt: WhippyTimestamp | null;
  @TimestampField() updatedAt: WhippyTimestamp | null;
}

export class CampaignCreated extends WhippyEvent<WhippyCampaign> {
  static readonly type = 'campaign.created';
  static readonly dataClass = WhippyCampaign;
  declare readonly type: typeof CampaignCreated.type;
}

export class CampaignUpdated extends WhippyEvent<WhippyCampaign> {
  static readonly type = 'campaign.updated';
  static readonly dataClass = WhippyCampaign;
  declare readonly type: typeof CampaignUpdated.type;
}
