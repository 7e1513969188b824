import { setMaxListeners } from 'node:events';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { AppConfig, DeliveryConfig } from '../../config/app-config.js';
import { type DeliveryChange, DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryAttemptsRepository } from '../store/delivery-attempts.repository.js';
import type { Statement } from '../store/statement-runner.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { BUS_SIGNALS, DeliverySignal } from './bus-signals.js';
import type { Job } from './delivery-lane.js';
import { EventCache } from './event-cache.js';
import { runHandler } from './handler-run.js';
import { persist } from './persist.js';
import { afterFailure, describe, Verdict } from './retry-policy.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';
import type { DeliveryContext } from './subscriber.js';

/** How an attempt ended, as committed: what the queue does next. */
export type Settled = { status: 'succeeded' | 'dead' } | { status: 'failed'; retryAt: number };

type Change = {
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'dead';
  attempts: number;
  nextAttemptAt?: string | null;
  lastError: string | null;
  finishedAt?: string | null;
};

/** What a delivery's row keeps of its job through a change of state. */
const stateOf = (job: Job) => ({
  attempts: job.attempts,
  nextAttemptAt: null,
  lastError: job.lastError,
  finishedAt: null,
  throttles: job.throttles,
});

/**
 * A claimed delivery given back unrun, or cut off by a stop: pending and due now, the attempt
 * its claim counted (`attempt`) not counted, and no crash counted either.
 */
export const handedBack = (job: Job, attempt: number): DeliveryChange => ({
  ...stateOf(job),
  status: 'pending',
  attempts: attempt - 1,
});

/**
 * One attempt of one delivery: the running mark, the handler with its timeout, the outcome
 * turned into a verdict (retry-policy.ts), committed with the attempt's history row, and
 * announced. Every write is retried until the store takes it, or the service stops.
 */
@Injectable()
export class DeliveryRunner {
  private readonly logger = new Logger('Delivery');
  private readonly settings: DeliveryConfig;
  private readonly loggers = new Map<string, Logger>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly deliveries: DeliveriesRepository,
    private readonly attempts: DeliveryAttemptsRepository,
    private readonly writer: StoreWriter,
    private readonly events: EventCache,
    private readonly emitter: EventEmitter2,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('delivery', { infer: true });
    // One listener per attempt running (see attempt): as many as the lanes run at once.
    setMaxListeners(0, this.stopping.signal);
  }

  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Handlers in flight are aborted; writes are tried once more, then left to recovery. */
  stop(): void {
    this.stopping.abort(new Error('the service is stopping'));
  }

  /**
   * Runs one attempt. `handled` is called once no handler of it runs any more (the queue's
   * slot may go to another delivery); the promise settles once the outcome is committed,
   * with it, or with undefined when the service stopped first (recovery takes over).
   * `job.fresh` (never run, made by this process) skips waiting for the running mark.
   */
  async attempt(job: Job, handled: () => void = () => undefined): Promise<Settled | undefined> {
    const subscriber = this.registry.all().get(job.subscriberId);
    if (!subscriber || this.stopping.signal.aborted) return void handled();
    job.attempts += 1;
    const attempt = job.attempts;
    // The running mark makes a crash inside the handler count at the next start (crash-loop
    // protection). A delivery resumed or retried waits for it to commit before the handler
    // runs. The first attempt in the process that made the delivery does not wait (one commit
    // less on the hot path): its mark joins the next group commit, and the outcome is written
    // only after it. A handler that takes the process down before that commit (a few ms) is
    // counted from the next start on: at most one more start than the crash-loop bound.
    const marked = this.record(job, { status: 'running', attempts: attempt, lastError: job.lastError });
    const fresh = job.fresh === true;
    job.fresh = false;
    if (!fresh && !(await marked)) return void handled();
    const startedAt = Date.now();
    const parsed = await this.events.get(job.eventId);
    if (!parsed) {
      handled();
      if (!(await marked)) return undefined;
      const verdict = { status: 'dead', error: 'the event is missing or no longer valid', throttled: false };
      return this.conclude(job, verdict as Verdict, startedAt, undefined);
    }

    const timeoutMs = subscriber.timeoutMs ?? this.settings.timeoutMs;
    const controller = new AbortController();
    // A stop aborts the handler too. Not AbortSignal.any([controller.signal, stopping]): on
    // Node 20 each call leaves an entry on the long-lived stopping signal for good (~60 bytes
    // per attempt, a leak under steady traffic); this listener goes when the handler ends.
    const stop = () => controller.abort(this.stopping.signal.reason);
    if (this.stopping.signal.aborted) stop();
    else this.stopping.signal.addEventListener('abort', stop, { once: true });
    const context: DeliveryContext = {
      eventId: job.eventId,
      subscriberId: subscriber.id,
      idempotencyKey: `${job.eventId}:${subscriber.id}`,
      attempt,
      logger: this.loggerOf(subscriber.id),
      signal: controller.signal,
    };
    const started = performance.now();
    const { outcome, handling } = await runHandler(subscriber, parsed.event, context, controller, timeoutMs);
    void handling.finally(() => this.stopping.signal.removeEventListener('abort', stop));
    // The outcome is written after the running mark, never before it (a mark retried after
    // the outcome would leave the delivery running).
    if (!(await marked)) return void handled();

    if (!outcome.ok && this.stopping.signal.aborted) {
      handled();
      // Cut off by a stop, not by its own failure: not an attempt, and not a crash to count.
      // One try only: the store is closing; recovery at the next start covers a failure.
      await this.writer
        .write([this.deliveries.update(job.id, handedBack(job, attempt))])
        .catch(() => undefined);
      return undefined;
    }
    const verdict: Verdict | { status: 'succeeded' } = outcome.ok
      ? { status: 'succeeded' }
      : afterFailure(outcome.error, { attempts: attempt, throttles: job.throttles }, this.settings);
    const seconds = () => (performance.now() - started) / 1000;
    if (!('timeout' in outcome)) {
      handled();
      return this.conclude(job, verdict, startedAt, parsed.raw.type, seconds());
    }
    // Timed out: the outcome is recorded now, but the slot and the delivery stay taken until
    // the handler returns, so concurrency holds and the retry cannot overlap it.
    const late = setTimeout(
      () =>
        context.logger.warn(
          `delivery ${job.id} ignores its abort signal: still running ${timeoutMs} ms after its timeout; it keeps its slot until it returns`,
        ),
      timeoutMs,
    );
    const settled = this.conclude(job, verdict, startedAt, parsed.raw.type, seconds());
    await handling;
    clearTimeout(late);
    handled();
    return settled;
  }

  /** Records an outcome with its history row, in one write, and tells the listeners. */
  private async conclude(
    job: Job,
    verdict: Verdict | { status: 'succeeded' },
    startedAt: number,
    eventType: string | undefined,
    seconds?: number,
  ): Promise<Settled | undefined> {
    const error = verdict.status === 'succeeded' ? null : verdict.error;
    const retryAt = verdict.status === 'failed' ? Date.now() + verdict.delayMs : undefined;
    const throttled = verdict.status !== 'succeeded' && verdict.throttled;
    if (throttled) job.throttles += 1;
    job.lastError = error;
    const finished = Date.now();
    const attempt = this.attempts.record(job.id, {
      startedAt,
      finishedAt: finished,
      outcome: throttled ? 'throttled' : verdict.status,
      error,
    });
    const recorded = await this.record(
      job,
      {
        status: verdict.status,
        attempts: job.attempts,
        lastError: error,
        nextAttemptAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
        finishedAt: retryAt === undefined ? new Date(finished).toISOString() : null,
      },
      [attempt],
    );
    if (!recorded) return undefined;
    this.announce(job, verdict.status, error, { retryAt, eventType, seconds });
    return verdict.status === 'failed' ? { status: 'failed', retryAt: retryAt! } : { status: verdict.status };
  }

  /** Tells metrics, the event log and alerting what happened to a delivery. */
  announce(
    job: Pick<Job, 'id' | 'eventId' | 'subscriberId' | 'attempts' | 'throttles'>,
    status: 'succeeded' | 'failed' | 'dead',
    error: string | null,
    more: { retryAt?: number; eventType?: string; seconds?: number } = {},
  ): void {
    const signal: DeliverySignal = {
      deliveryId: job.id,
      eventId: job.eventId,
      eventType: more.eventType ?? this.events.peek(job.eventId)?.raw.type,
      subscriberId: job.subscriberId,
      attempt: job.attempts,
      throttles: job.throttles,
      error,
      seconds: more.seconds,
    };
    // The line for each outcome is written by the event log (observability), from the signal.
    if (status === 'succeeded') return void this.emitter.emit(BUS_SIGNALS.delivered, signal);
    if (status === 'dead') return void this.emitter.emit(BUS_SIGNALS.deadLettered, signal);
    this.emitter.emit(BUS_SIGNALS.failed, {
      ...signal,
      nextAttemptAt: new Date(more.retryAt!).toISOString(),
    });
  }

  /** A delivery's state change, with `also` in the same write, committed; false when the service stops first. */
  private record(job: Job, change: Change, also: Statement[] = []): Promise<boolean> {
    const statement = this.deliveries.update(job.id, { ...stateOf(job), ...change });
    return persist(() => this.writer.write([...also, statement]), {
      signal: this.stopping.signal,
      onError: (error, tries) => {
        // The first failure and then every tenth: a long outage must not flood the log.
        if (tries === 1 || tries % 10 === 0)
          this.logger.warn(
            `recording delivery ${job.id} as ${change.status} failed (${tries} tries so far; trying again): ${describe(error)}`,
          );
      },
    });
  }

  private loggerOf(subscriberId: string): Logger {
    let logger = this.loggers.get(subscriberId);
    if (!logger) this.loggers.set(subscriberId, (logger = new Logger(`subscriber ${subscriberId}`)));
    return logger;
  }
}
