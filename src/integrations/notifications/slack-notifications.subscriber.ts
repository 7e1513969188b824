import { Injectable } from '@nestjs/common';
import { type DeliveryContext, OnWhippyEvent, SubscriberRegistry } from '../../platform/bus/index.js';
import { LeadCreated, MessageCreated } from '../../platform/events/index.js';
import { InboundNotices } from './inbound-notices.js';
import { NotificationChannels } from './notification-channels.js';
import { slackMessage } from './slack-message.js';

/** `notifications.slack`: inbound messages and new leads, posted to the incoming webhook. */
@Injectable()
export class SlackNotifications {
  constructor(
    private readonly channels: NotificationChannels,
    private readonly notices: InboundNotices,
    registry: SubscriberRegistry,
  ) {
    registry.requireSettings(['notifications.slack'], channels.settings.slack);
  }

  @OnWhippyEvent(MessageCreated, LeadCreated, {
    id: 'notifications.slack',
    orderBy: (event) => InboundNotices.messageOf(event)?.id,
  })
  async notify(event: MessageCreated | LeadCreated, ctx: DeliveryContext): Promise<void> {
    const pending = await this.notices.prepare(event);
    if (!pending || !this.channels.slack) return;
    if (!(await this.notices.claim('slack', pending.messageId, event.id))) {
      ctx.logger.log(`message ${pending.messageId} was already notified in Slack`);
      return;
    }
    await this.channels.slack.post(slackMessage(pending.notice), ctx.signal);
    await this.notices.sent('slack', pending.messageId, event.id);
  }
}
