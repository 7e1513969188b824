import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { BUS_SIGNALS, type DeliverySignal, type EventReceivedSignal } from '../bus/bus-signals.js';
import { WEBHOOK_SIGNALS, type WebhookAnsweredSignal } from '../webhooks/webhook-signals.js';

/**
 * The operator's log of traffic: one line per event received (new or duplicate) and one per
 * delivery outcome. Ids, source, type and status only: never the body, which the store keeps.
 */
@Injectable()
export class EventLog {
  private readonly events = new Logger('Events');
  private readonly deliveries = new Logger('Deliveries');

  @OnEvent(BUS_SIGNALS.eventReceived)
  onReceived(signal: EventReceivedSignal): void {
    this.events.log(
      `event ${signal.id} received: source=${signal.source} type=${signal.type} status=${signal.status} duplicate=false`,
    );
  }

  /** A new event has its line from eventReceived; only a duplicate is told here. */
  @OnEvent(WEBHOOK_SIGNALS.answered)
  onAnswered(signal: WebhookAnsweredSignal): void {
    if (signal.duplicate !== true) return;
    this.events.log(
      `event ${signal.id} received: source=${signal.source} type=${signal.type} status=duplicate duplicate=true`,
    );
  }

  @OnEvent(BUS_SIGNALS.delivered)
  onDelivered(signal: DeliverySignal): void {
    this.deliveries.log(`${this.delivery(signal)} succeeded (attempt ${signal.attempt})`);
  }

  @OnEvent(BUS_SIGNALS.failed)
  onFailed(signal: DeliverySignal): void {
    const throttled = signal.throttles ? `, ${signal.throttles} throttled` : '';
    this.deliveries.warn(
      `${this.delivery(signal)} failed (attempt ${signal.attempt}${throttled}): ${signal.error}; next attempt at ${signal.nextAttemptAt}`,
    );
  }

  @OnEvent(BUS_SIGNALS.deadLettered)
  onDead(signal: DeliverySignal): void {
    this.deliveries.error(
      `${this.delivery(signal)} is dead after ${signal.attempt} attempt(s): ${signal.error}`,
    );
  }

  private delivery(signal: DeliverySignal): string {
    const type = signal.eventType ? ` (${signal.eventType})` : '';
    return `delivery ${signal.deliveryId} of event ${signal.eventId}${type} to ${signal.subscriberId}`;
  }
}
