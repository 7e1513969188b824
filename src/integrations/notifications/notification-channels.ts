import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectSettings } from '../../platform/bus/index.js';
import { EmailSender } from './email-sender.js';
import { NotificationsSettings, notificationsSettings } from './notifications.settings.js';
import { SlackWebhook } from './slack-webhook.js';

/** The configured channels: Slack when SLACK_WEBHOOK_URL is set, email when SMTP_URL is. */
@Injectable()
export class NotificationChannels implements OnModuleDestroy {
  readonly slack?: SlackWebhook;
  readonly email?: EmailSender;

  constructor(@InjectSettings(notificationsSettings) readonly settings: NotificationsSettings) {
    const { slack, email } = settings;
    if (slack.webhookUrl) this.slack = new SlackWebhook(slack.webhookUrl, slack.timeoutMs);
    if (email.smtpUrl) this.email = new EmailSender(email.smtpUrl, email.from, email.to, email.timeoutMs);
  }

  onModuleDestroy(): void {
    this.email?.close();
  }
}
