import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig, DeliveryConfig } from '../../../config/app-config.js';
import { parseWhippyEvent } from '../../events/index.js';
import type { DeliveriesTable } from '../../inbox/database.js';
import { BUS_SIGNALS, DeliverySignal } from '../bus-signals.js';
import { toIncoming } from '../delivery-rows.js';
import { DeliveryRepository } from '../delivery.repository.js';
import { runHandler } from '../handler-run.js';
import { persist } from '../persist.js';
import { afterFailure, describe, Verdict } from '../retry-policy.js';
import type { DeliveryContext, SubscriberDefinition } from '../subscriber.js';

/** How one claimed run ended, as far as the queue must know. */
export type RunResult =
  | { status: 'succeeded' | 'dead' }
  | { status: 'failed'; retryAt: number }
  /** Cut off by the process stopping: back to pending, not counted. */
  | { status: 'handed-back' }
  /** The outcome could not be committed before the process stopped: the sweep takes it. */
  | { status: 'unrecorded' };

/**
 * Runs one attempt of a delivery a worker has claimed (status `running`, attempts counted):
 * loads and parses its event, calls the handler with its timeout, decides with the retry
 * policy, and commits the outcome with the attempt's history row in one write (retried until
 * the store takes it), then announces it like the in-process engine does.
 */
@Injectable()
export class QueuedDeliveryRunner {
  private readonly logger = new Logger('Delivery');
  private readonly loggers = new Map<string, Logger>();
  private readonly settings: DeliveryConfig;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly emitter: EventEmitter2,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('delivery', { infer: true });
  }

  async run(
    subscriber: SubscriberDefinition,
    row: DeliveriesTable,
    stopping: AbortSignal,
  ): Promise<RunResult> {
    const attemptStartedAt = Date.now();
    const event = await this.load(row.event_id);
    if (!event)
      return this.conclude(
        row,
        { status: 'dead', error: 'the event is missing or no longer valid', throttled: false },
        {
          attemptStartedAt,
          stopping,
        },
      );

    const timeoutMs = subscriber.timeoutMs ?? this.settings.timeoutMs;
    const controller = new AbortController();
    const context: DeliveryContext = {
      eventId: row.event_id,
      subscriberId: subscriber.id,
      idempotencyKey: `${row.event_id}:${subscriber.id}`,
      attempt: row.attempts,
      logger: this.loggerOf(subscriber.id),
      signal: AbortSignal.any([controller.signal, stopping]),
    };
    const startedAt = performance.now();
    const { outcome, handling } = await runHandler(subscriber, event.parsed, context, controller, timeoutMs);
    if (!outcome.ok && stopping.aborted) {
      // Cut off by a stop, not by its own failure: not an attempt. One try: the sweep of
      // another worker takes a delivery left running.
      await this.repository
        .write([
          this.repository.update(row.id, { ...stateOf(row), status: 'pending', attempts: row.attempts - 1 }),
        ])
        .catch(() => undefined);
      return { status: 'handed-back' };
    }
    const verdict: Verdict | { status: 'succeeded' } = outcome.ok
      ? { status: 'succeeded' }
      : afterFailure(outcome.error, { attempts: row.attempts, throttles: row.throttles }, this.settings);
    const result = await this.conclude(row, verdict, {
      attemptStartedAt,
      stopping,
      seconds: (performance.now() - startedAt) / 1000,
      eventType: event.type,
    });
    // A handler that ignores its abort keeps its slot until it returns: concurrency holds and
    // its retry cannot overlap it.
    if ('timeout' in outcome) await handling;
    return result;
  }

  private async conclude(
    row: DeliveriesTable,
    verdict: Verdict | { status: 'succeeded' },
    run: { attemptStartedAt: number; stopping: AbortSignal; seconds?: number; eventType?: string },
  ): Promise<RunResult> {
    const error = verdict.status === 'succeeded' ? null : verdict.error;
    const throttled = verdict.status !== 'succeeded' && verdict.throttled;
    const finished = Date.now();
    const retryAt = verdict.status === 'failed' ? finished + verdict.delayMs : undefined;
    const throttles = row.throttles + (throttled ? 1 : 0);
    const statements = [
      this.repository.attempt(row.id, {
        startedAt: run.attemptStartedAt,
        finishedAt: finished,
        outcome: throttled ? 'throttled' : verdict.status,
        error,
      }),
      this.repository.update(row.id, {
        status: verdict.status,
        attempts: row.attempts,
        lastError: error,
        nextAttemptAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
        finishedAt: retryAt === undefined ? new Date(finished).toISOString() : null,
        throttles,
      }),
    ];
    const recorded = await persist(() => this.repository.write(statements), {
      signal: run.stopping,
      onError: (cause, tries) => {
        if (tries === 1 || tries % 10 === 0)
          this.logger.warn(
            `recording delivery ${row.id} as ${verdict.status} failed (${tries} tries so far; trying again): ${describe(cause)}`,
          );
      },
    });
    if (!recorded) return { status: 'unrecorded' };
    const signal: DeliverySignal = {
      deliveryId: row.id,
      eventId: row.event_id,
      eventType: run.eventType,
      subscriberId: row.subscriber_id,
      attempt: row.attempts,
      throttles,
      error,
      seconds: run.seconds,
    };
    if (verdict.status === 'succeeded') this.emitter.emit(BUS_SIGNALS.delivered, signal);
    else if (verdict.status === 'dead') this.emitter.emit(BUS_SIGNALS.deadLettered, signal);
    else
      this.emitter.emit(BUS_SIGNALS.failed, { ...signal, nextAttemptAt: new Date(retryAt!).toISOString() });
    return verdict.status === 'failed' ? { status: 'failed', retryAt: retryAt! } : { status: verdict.status };
  }

  /** The stored event, parsed again: a worker has no copy in memory. */
  private async load(eventId: string): Promise<{ parsed: unknown; type: string } | undefined> {
    const [row] = await this.repository.events({ ids: [eventId], limit: 1 });
    if (!row) return undefined;
    const incoming = toIncoming(row);
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    return parsed.status === 'valid' ? { parsed: parsed.event, type: incoming.type } : undefined;
  }

  private loggerOf(subscriberId: string): Logger {
    let logger = this.loggers.get(subscriberId);
    if (!logger) this.loggers.set(subscriberId, (logger = new Logger(`subscriber ${subscriberId}`)));
    return logger;
  }
}

const stateOf = (row: DeliveriesTable) => ({
  attempts: row.attempts,
  nextAttemptAt: null,
  lastError: row.last_error,
  finishedAt: null,
  throttles: row.throttles,
});
