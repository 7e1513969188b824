import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BUS_SIGNALS, type DeliverySignal } from '../../platform/bus/index.js';
import { emailMessage } from './email-message.js';
import { NotificationChannels } from './notification-channels.js';
import { type DeadDelivery, deadDeliveryNotice, LISTED_IN_SUMMARY, type Notice } from './notice.js';
import { slackMessage } from './slack-message.js';

/**
 * Alerts of dead deliveries, to every configured channel (Slack, email), at most one per
 * `alerts.minIntervalSeconds`: the first dead delivery at once, those that follow within the
 * interval gathered into one summary with their count when it ends, so an outage sends a
 * summary, not a flood. Kept per process.
 */
@Injectable()
export class DeadDeliveryAlerts implements OnModuleDestroy {
  private readonly logger = new Logger('Alerts');
  private readonly intervalMs: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private gathered: DeadDelivery[] = [];
  private count = 0;
  /** Alerts sent (single and summaries), for tests and logs. */
  sent = 0;

  constructor(private readonly channels: NotificationChannels) {
    this.intervalMs = channels.settings.alerts.minIntervalSeconds * 1000;
  }

  @OnEvent(BUS_SIGNALS.deadLettered)
  onDead(signal: DeliverySignal): void {
    if (!this.channels.slack && !this.channels.email) return;
    const dead: DeadDelivery = {
      deliveryId: signal.deliveryId,
      subscriberId: signal.subscriberId,
      eventId: signal.eventId,
      eventType: signal.eventType,
      attempt: signal.attempt,
      error: signal.error,
    };
    if (this.timer === undefined && Date.now() - this.lastSentAt >= this.intervalMs) {
      this.lastSentAt = Date.now();
      this.send(deadDeliveryNotice([dead], 1));
      this.arm();
      return;
    }
    this.count += 1;
    if (this.gathered.length < LISTED_IN_SUMMARY) this.gathered.push(dead);
  }

  onModuleDestroy(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count > 0)
      this.logger.warn(`${this.count} dead deliveries were not yet alerted when the service stopped`);
  }

  /** The end of the interval: a summary of what gathered, if anything, and a new interval. */
  private arm(): void {
    if (this.intervalMs === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.count === 0) return;
      this.lastSentAt = Date.now();
      this.send(deadDeliveryNotice(this.gathered, this.count, Math.round(this.intervalMs / 60_000)));
      this.gathered = [];
      this.count = 0;
      this.arm();
    }, this.intervalMs);
    this.timer.unref();
  }

  private send(notice: Notice): void {
    this.sent += 1;
    const { slack, email } = this.channels;
    // Alerts are not deliveries: a failing channel is logged, never retried into a loop of alerts.
    if (slack) {
      slack
        .post(slackMessage(notice))
        .catch((error: Error) => this.logger.error(`Slack alert failed: ${error.message}`));
    }
    if (email) {
      email
        .send(emailMessage(notice))
        .catch((error: Error) => this.logger.error(`email alert failed: ${error.message}`));
    }
  }
}
