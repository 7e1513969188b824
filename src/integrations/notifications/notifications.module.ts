import { Module } from '@nestjs/common';
import { BusModule } from '../../platform/bus/index.js';
import { DeadDeliveryAlerts } from './dead-delivery.alerts.js';
import { EmailNotifications } from './email-notifications.subscriber.js';
import { InboundNotices } from './inbound-notices.js';
import { NotificationChannels } from './notification-channels.js';
import { notificationsSettings } from './notifications.settings.js';
import { SlackNotifications } from './slack-notifications.subscriber.js';

/**
 * Notifications: inbound messages and new leads in Slack (`notifications.slack`) and by email
 * (`notifications.email`), and alerts of dead deliveries to both. Each channel is off until
 * its variable (SLACK_WEBHOOK_URL, SMTP_URL) is set.
 */
@Module({
  imports: [BusModule],
  providers: [
    notificationsSettings.provider,
    NotificationChannels,
    InboundNotices,
    SlackNotifications,
    EmailNotifications,
    DeadDeliveryAlerts,
  ],
})
export class NotificationsModule {}
