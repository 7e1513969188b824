import { Injectable } from '@nestjs/common';
import { type DeliveryContext, OnWhippyEvent, SubscriberRegistry } from '../../platform/bus/index.js';
import { LeadCreated, MessageCreated } from '../../platform/events/index.js';
import { emailMessage } from './email-message.js';
import { InboundNotices } from './inbound-notices.js';
import { NotificationChannels } from './notification-channels.js';

/** `notifications.email`: inbound messages and new leads, mailed to `notifications.email.to`. */
@Injectable()
export class EmailNotifications {
  constructor(
    private readonly channels: NotificationChannels,
    private readonly notices: InboundNotices,
    registry: SubscriberRegistry,
  ) {
    registry.requireSettings(['notifications.email'], channels.settings.email);
  }

  @OnWhippyEvent(MessageCreated, LeadCreated, {
    id: 'notifications.email',
    orderBy: (event) => InboundNotices.messageOf(event)?.id,
  })
  async notify(event: MessageCreated | LeadCreated, ctx: DeliveryContext): Promise<void> {
    const pending = await this.notices.prepare(event);
    if (!pending || !this.channels.email) return;
    if (!(await this.notices.claim('email', pending.messageId, event.id))) {
      ctx.logger.log(`message ${pending.messageId} was already notified by email`);
      return;
    }
    await this.channels.email.send(emailMessage(pending.notice), ctx.signal);
    await this.notices.sent('email', pending.messageId, event.id);
  }
}
