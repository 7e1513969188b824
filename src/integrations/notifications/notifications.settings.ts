import {
  CredentialSetting,
  defineSettings,
  IntegerSetting,
  ListSetting,
  readSettings,
  SectionSetting,
  TextSetting,
} from '../../platform/bus/index.js';

/** Slack, through an incoming webhook (the URL is the secret). */
export class SlackSettings {
  /** `https://hooks.slack.com/services/T…/B…/…`; never shown in logs or errors. */
  @CredentialSetting('SLACK_WEBHOOK_URL') webhookUrl?: string;
  /** Per post. @default 10000 */
  @IntegerSetting({ min: 100, max: 120_000 }) timeoutMs = 10_000;
}

/** Email through an SMTP server. */
export class EmailSettings {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; the password is never shown. */
  @CredentialSetting('SMTP_URL') smtpUrl?: string;
  /** The sender. @default switchyard@example.com */
  @TextSetting() from = 'switchyard@example.com';
  /** The recipients of every notification and alert. */
  @ListSetting() to: string[] = [];
  /** Per message. @default 10000 */
  @IntegerSetting({ min: 100, max: 120_000 }) timeoutMs = 10_000;
}

/** Dead deliveries, to every configured channel. */
export class AlertsSettings {
  /**
   * At most one alert per this many seconds: the first dead delivery at once, the rest of the
   * interval gathered into one summary when it ends. @default 300
   */
  @IntegerSetting({ min: 0, max: 86_400 }) minIntervalSeconds = 300;
}

/** The `notifications:` section. */
export class NotificationsSettings {
  @SectionSetting(() => SlackSettings) slack: SlackSettings;
  @SectionSetting(() => EmailSettings) email: EmailSettings;
  @SectionSetting(() => AlertsSettings) alerts: AlertsSettings;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

/** Read like any settings class, then the URLs and addresses checked without showing a secret. */
export const notificationsSettings = defineSettings('notifications', (value, r, path) => {
  const settings = readSettings(NotificationsSettings, value, r, path);
  const { webhookUrl } = settings.slack;
  if (webhookUrl && !isUrl(webhookUrl, ['https:', 'http:'])) {
    r.problem(
      `${path}.slack.webhookUrl`,
      'must be an http(s) URL (SLACK_WEBHOOK_URL; the value is not shown)',
    );
  }
  const { smtpUrl, from, to } = settings.email;
  if (smtpUrl && !isUrl(smtpUrl, ['smtp:', 'smtps:'])) {
    r.problem(
      `${path}.email.smtpUrl`,
      'must be an smtp:// or smtps:// URL (SMTP_URL; the value is not shown)',
    );
  }
  if (!EMAIL.test(from))
    r.problem(`${path}.email.from`, `must be an email address, got ${JSON.stringify(from)}`);
  to.forEach((address, i) => {
    if (!EMAIL.test(address)) {
      r.problem(`${path}.email.to[${i}]`, `must be an email address, got ${JSON.stringify(address)}`);
    }
  });
  if (smtpUrl && to.length === 0) r.problem(`${path}.email.to`, 'at least one address when SMTP_URL is set');
  return settings;
});

function isUrl(text: string, protocols: string[]): boolean {
  return URL.canParse(text) && protocols.includes(new URL(text).protocol);
}
