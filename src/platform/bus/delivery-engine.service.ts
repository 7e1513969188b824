import { AsyncResource } from 'node:async_hooks';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { AppConfig, DeliveryConfig } from '../../config/app-config.js';
import type { DeliveriesTable } from '../inbox/database.js';
import { parseWhippyEvent } from '../events/index.js';
import type { Statement } from '../inbox/statement-runner.js';
import { BUS_SIGNALS, DeliverySignal, EventReceivedSignal } from './bus-signals.js';
import { DeliveryLane, Job } from './delivery-lane.js';
import { fromRow, Incoming, toIncoming } from './delivery-rows.js';
import { DeliveryLeadership } from './delivery-leadership.service.js';
import { DeliveryRepository, DeliveryView } from './delivery.repository.js';
import { Ordering, orderingOf } from './ordering.js';
import { persist, sleep } from './persist.js';
import { runHandler } from './handler-run.js';
import { afterFailure, describe, Verdict } from './retry-policy.js';
import { RouteTable } from './route-table.js';
import { SubscriberRegistry } from './subscriber-registry.service.js';
import type { DeliveryContext, RawEvent, SubscriberDefinition } from './subscriber.js';

/** What classifying an event writes, and the deliveries it makes (one per insert, in order). */
export interface Classified {
  statements: Statement[];
  jobs: Job[];
}

interface CachedEvent {
  event: unknown;
  raw: RawEvent;
}

const PAGE = 500;
/** A delivery cut off by the process stopping this many times already is dead at the next start. */
const MAX_INTERRUPTIONS = 2;
/** PostgreSQL: how often the delivering process looks for deliveries the others made or claimed. */
const POLL_MS = 1000;
/** Clocks of processes on one database may differ a little; a poll looks back this far. */
const POLL_OVERLAP_MS = 5000;

/**
 * Turns stored events into deliveries, one per (event, subscriber), and runs them: bounded
 * concurrency per subscriber, retries (see retry-policy.ts), per-key ordering, timeouts. Every
 * state change is committed before the next step (and retried until it is); after a crash,
 * whatever was pending, failed or running is picked up again (at least once). On PostgreSQL
 * only the process that DeliveryLeadership picks runs deliveries; the others classify.
 */
@Injectable()
export class DeliveryEngine implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Delivery');
  private readonly settings: DeliveryConfig;
  private readonly lanes = new Map<string, DeliveryLane>();
  private readonly loggers = new Map<string, Logger>();
  private readonly orderings = new Map<string, Ordering>();
  /** Parsed events that unfinished deliveries in memory still need, and how many need each. */
  private readonly cache = new Map<string, CachedEvent>();
  private readonly unfinished = new Map<string, number>();
  private readonly stopping = new AbortController();
  /** New deliveries join their lanes in the order their events were classified. */
  private joining: Promise<unknown> = Promise.resolve();
  private routes!: RouteTable;
  private ready = false;
  private runner = false;
  private poller?: NodeJS.Timeout;
  private polledAt = 0;

  constructor(
    private readonly registry: SubscriberRegistry,
    private readonly repository: DeliveryRepository,
    private readonly leadership: DeliveryLeadership,
    private readonly emitter: EventEmitter2,
    private readonly config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('delivery', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    const subscribers = this.registry.all();
    this.routes = new RouteTable(
      subscribers,
      this.config.get('subscribers', { infer: true }),
      this.config.get('env', { infer: true }),
    );
    for (const subscriber of subscribers.values()) {
      this.lanes.set(
        subscriber.id,
        new DeliveryLane(this.settings.concurrency, (job) => this.run(subscriber, job)),
      );
      this.loggers.set(subscriber.id, new Logger(`subscriber ${subscriber.id}`));
      const ordering = orderingOf(subscriber);
      if (ordering) this.orderings.set(subscriber.id, ordering);
    }
    this.logger.log(this.routes.summary());
    this.ready = true;
    await this.leadership.start(this.config.get('store', { infer: true }).databaseUrl, (leading) =>
      this.lead(leading),
    );
    // In the background: a store that refuses writes at boot must not stop the start.
    void this.retrying('classifying stored events', () => this.classifyPending());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.ready = false;
    this.stopping.abort(new Error('the service is stopping'));
    clearInterval(this.poller);
    for (const lane of this.lanes.values()) lane.stop();
    const deadline = Date.now() + 5000;
    while (
      ([...this.lanes.values()].some((lane) => lane.active > 0) || this.concluding.size > 0) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await this.leadership.stop();
  }

  get routeTable(): RouteTable {
    return this.routes;
  }

  /** Whether a subscriber of this id exists. */
  knows(subscriberId: string): boolean {
    return this.lanes.has(subscriberId);
  }

  /** Deliveries waiting or running in this process, per subscriber. */
  backlog(): Record<string, number> {
    return Object.fromEntries([...this.lanes].map(([id, lane]) => [id, lane.size]));
  }

  /** Deliveries as the admin API shows them, with what an ordered one waits for. */
  views(rows: DeliveriesTable[]): Promise<DeliveryView[]> {
    return this.repository.views(rows, (id) => this.orderings.get(id)?.onDead === 'hold');
  }

  /** The views with each delivery's attempt history (the last HISTORY_LIMIT, oldest first). */
  async detailed(rows: DeliveriesTable[]): Promise<DeliveryView[]> {
    const [views, history] = await Promise.all([
      this.views(rows),
      this.repository.history(rows.map((row) => row.id)),
    ]);
    return views.map((view) => ({ ...view, history: history.get(view.id) ?? [] }));
  }

  @OnEvent(BUS_SIGNALS.eventReceived)
  onEventReceived(signal: EventReceivedSignal): void {
    if (!this.ready || signal.status !== 'received') return;
    this.detached(() => void this.commit(this.classify(signal)));
  }

  /**
   * Runs outside the webhook request's async context (bound at start), so deliveries neither
   * log as part of that request nor keep its context alive.
   */
  private readonly detached = AsyncResource.bind((work: () => void) => work());

  /**
   * Parses and routes one event: the statements that record the outcome, and its deliveries.
   * `only` names the subscribers (a replay or backfill); `dedupe: false` makes a replay's
   * delivery even where the event has one for that subscriber already.
   */
  classify(incoming: Incoming, only?: SubscriberDefinition[], dedupe = true): Classified {
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status === 'unknown')
      return { statements: [this.repository.eventStatus(incoming.id, 'unknown')], jobs: [] };
    if (parsed.status === 'invalid') {
      this.logger.warn(`event ${incoming.id} (${incoming.type}) is invalid: ${parsed.errors.join('; ')}`);
      return { statements: [this.repository.eventStatus(incoming.id, 'invalid', parsed.errors)], jobs: [] };
    }
    const raw: RawEvent = { type: incoming.type, source: incoming.source, data: incoming.data };
    const subscribers = only ?? this.routes.match(raw);
    if (subscribers.length === 0)
      return { statements: [this.repository.eventStatus(incoming.id, 'unrouted')], jobs: [] };

    const now = new Date().toISOString();
    const jobs = subscribers.map((subscriber): Job => ({
      id: this.repository.nextId(),
      eventId: incoming.id,
      subscriberId: subscriber.id,
      attempts: 0,
      throttles: 0,
      orderKey: this.orderings.get(subscriber.id)?.keyOf(parsed.event, raw, this.logger) ?? null,
      dueAt: Date.now(),
      lastError: null,
    }));
    const statements = jobs.map((job) =>
      this.repository.insert({
        id: job.id,
        event_id: job.eventId,
        subscriber_id: job.subscriberId,
        status: 'pending',
        attempts: 0,
        next_attempt_at: null,
        order_key: job.orderKey,
        last_error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
        throttles: 0,
        interruptions: 0,
        dedupe_key: dedupe ? `${job.eventId}:${job.subscriberId}` : null,
      }),
    );
    statements.push(this.repository.eventStatus(incoming.id, 'routed'));
    this.cache.set(incoming.id, { event: parsed.event, raw });
    return { statements, jobs };
  }

  /**
   * Commits a classification (retrying until the store takes it) and, where this process runs
   * deliveries, starts the deliveries it made. Resolves with those made now: a delivery that
   * exists already (same event and subscriber) is not made twice.
   */
  commit({ statements, jobs }: Classified): Promise<Job[]> {
    let rows: unknown[][] | undefined;
    const written = this.persist(`recording the outcome of classification`, async () => {
      rows = await this.repository.write(statements);
    });
    const made = (this.joining = this.joining.then(async () => {
      if (!(await written) || !rows) return [];
      const inserted = jobs.filter((_, i) => (rows![i] ?? []).length > 0);
      if (this.runner) inserted.forEach((job) => this.enqueue({ ...job, fresh: true }));
      // Nothing in memory needs the parsed event when this process runs none of its deliveries.
      for (const job of jobs) if (!this.unfinished.has(job.eventId)) this.cache.delete(job.eventId);
      return inserted;
    }));
    return made as Promise<Job[]>;
  }

  /**
   * A delivery that a repair claimed, or another process made: into its lane when this
   * process runs deliveries; a held or waiting copy in memory runs now.
   */
  adopt(row: DeliveriesTable): void {
    if (!this.runner) return;
    const lane = this.lanes.get(row.subscriber_id);
    if (!lane) return;
    const job = lane.get(row.id);
    if (!job) return void this.enqueue(fromRow(row));
    if (row.status === 'pending' && (job.timer || job.held)) {
      job.attempts = row.attempts;
      job.throttles = row.throttles;
      lane.runNow(row.id);
    }
  }

  /** The one way a job enters a lane: the event it needs stays cached until its jobs finish. */
  private enqueue(job: Job): void {
    if (!this.lanes.get(job.subscriberId)?.add(job)) return;
    this.unfinished.set(job.eventId, (this.unfinished.get(job.eventId) ?? 0) + 1);
  }

  private release(eventId: string): void {
    const left = (this.unfinished.get(eventId) ?? 1) - 1;
    if (left > 0) return void this.unfinished.set(eventId, left);
    this.unfinished.delete(eventId);
    this.cache.delete(eventId);
  }

  private lead(leading: boolean): void {
    this.runner = leading;
    if (!leading) {
      clearInterval(this.poller);
      for (const lane of this.lanes.values()) lane.clear();
      this.cache.clear();
      this.unfinished.clear();
      if (this.leadership.shared)
        this.logger.log(
          'another process runs deliveries (PostgreSQL advisory lock); this one receives, stores and classifies (api) and takes over if that process stops',
        );
      return;
    }
    if (this.leadership.shared)
      this.logger.log('this process runs deliveries (it holds the PostgreSQL advisory lock)');
    void this.retrying('resuming unfinished deliveries', () => this.resume()).then(() => {
      if (!this.leadership.shared || !this.runner || this.stopping.signal.aborted) return;
      this.poller = setInterval(() => void this.poll(), POLL_MS);
      this.poller.unref();
    });
  }

  /** Runs one attempt of a delivery; whatever happens, the process stays up. */
  private async run(subscriber: SubscriberDefinition, job: Job): Promise<void> {
    const lane = this.lanes.get(subscriber.id)!;
    if (this.stopping.signal.aborted || !this.runner) return;
    try {
      if (job.orderKey !== null && (await this.olderFirst(lane, job))) return;
      await this.attempt(subscriber, lane, job);
    } catch (error) {
      // Only the store can get here (a handler's errors are outcomes): try again later.
      this.logger.error(`delivery ${job.id} could not run: ${describe(error)}`);
      lane.reschedule(job, Date.now() + this.settings.backoff.initialMs);
    }
  }

  /**
   * Ordered deliveries run oldest first. In memory that holds by itself; on PostgreSQL
   * another process may have made an older one, and with `onDead: hold` a dead one holds its
   * key across restarts: the store says which exist. True when this job must wait.
   */
  private async olderFirst(lane: DeliveryLane, job: Job): Promise<boolean> {
    const hold = this.orderings.get(job.subscriberId)?.onDead === 'hold';
    if (!this.leadership.shared && !hold) return false;
    if (this.leadership.shared && (await this.repository.unclassifiedBefore(job.eventId))) {
      // An older event may still become a delivery of this key; classification takes ms.
      lane.reschedule(job, Date.now() + 100);
      return true;
    }
    const row = {
      id: job.id,
      event_id: job.eventId,
      subscriber_id: job.subscriberId,
      order_key: job.orderKey!,
    };
    const older = (await this.repository.olderOfKey(row, hold, 100)).filter((r) => !lane.has(r.id));
    if (older.length === 0) return false;
    const jobs = older.map((r) => ({ ...fromRow(r), held: r.status === 'dead' }));
    for (const other of jobs)
      this.unfinished.set(other.eventId, (this.unfinished.get(other.eventId) ?? 0) + 1);
    lane.stepBack(job, jobs);
    return true;
  }

  private async attempt(subscriber: SubscriberDefinition, lane: DeliveryLane, job: Job): Promise<void> {
    job.attempts += 1;
    const attempt = job.attempts;
    // The running mark makes a crash inside the handler count at the next start (crash-loop
    // protection). A delivery resumed or retried waits for it to commit before the handler
    // runs. The first attempt in the process that made the delivery does not wait (one commit
    // less on the hot path): its mark joins the next group commit, and the outcome is written
    // only after it. A handler that takes the process down before that commit (a few ms) is
    // counted from the next start on: at most one more start than MAX_INTERRUPTIONS allows.
    const marked = this.record(job, { status: 'running', attempts: attempt, lastError: job.lastError });
    const fresh = job.fresh === true;
    job.fresh = false;
    if (!fresh && !(await marked)) return;
    job.attemptStartedAt = Date.now();
    const cached = this.cache.get(job.eventId) ?? (await this.load(job.eventId));
    if (!cached) {
      if (!(await marked)) return;
      return this.conclude(lane, job, {
        status: 'dead',
        error: 'the event is missing or no longer valid',
        throttled: false,
      });
    }

    const timeoutMs = subscriber.timeoutMs ?? this.settings.timeoutMs;
    const controller = new AbortController();
    const context: DeliveryContext = {
      eventId: job.eventId,
      subscriberId: subscriber.id,
      idempotencyKey: `${job.eventId}:${subscriber.id}`,
      attempt,
      logger: this.loggers.get(subscriber.id)!,
      signal: AbortSignal.any([controller.signal, this.stopping.signal]),
    };
    job.startedAt = performance.now();
    const { outcome, handling } = await runHandler(subscriber, cached.event, context, controller, timeoutMs);
    // The outcome is written after the running mark, never before it (a mark retried after
    // the outcome would leave the delivery running).
    if (!(await marked)) return;

    if (!outcome.ok && this.stopping.signal.aborted) {
      // Cut off by a stop, not by its own failure: not an attempt, and not a crash to count.
      // One try only: the store is closing; recovery at the next start covers a failure.
      await this.repository
        .write([
          this.repository.update(job.id, { ...this.state(job), status: 'pending', attempts: attempt - 1 }),
        ])
        .catch(() => undefined);
      return;
    }
    const verdict: Verdict | { status: 'succeeded' } = outcome.ok
      ? { status: 'succeeded' }
      : afterFailure(outcome.error, { attempts: attempt, throttles: job.throttles }, this.settings);
    if ('timeout' in outcome) {
      // The slot and the delivery stay taken until the handler returns: concurrency holds and
      // the retry cannot overlap it.
      const late = setTimeout(
        () =>
          context.logger.warn(
            `delivery ${job.id} ignores its abort signal: still running ${timeoutMs} ms after its timeout; it keeps its slot until it returns`,
          ),
        timeoutMs,
      );
      await this.conclude(
        lane,
        job,
        verdict,
        handling.then(() => clearTimeout(late)),
      );
      return;
    }
    // The handler is done: its slot goes to the next delivery while the outcome commits (the
    // delivery stays in its lane, holding its key, until then). Concurrency bounds handlers,
    // not commits: throughput does not wait on the store's fsync.
    this.background(this.conclude(lane, job, verdict));
  }

  /** Outcomes being committed after their handler's slot was freed; shutdown waits for them. */
  private readonly concluding = new Set<Promise<void>>();

  private background(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.logger.error(`recording an outcome failed: ${describe(error)}`))
      .finally(() => this.concluding.delete(tracked));
    this.concluding.add(tracked);
  }

  /** Records an outcome, tells the listeners, and moves the lane on once the handler is done. */
  private async conclude(
    lane: DeliveryLane,
    job: Job,
    verdict: Verdict | { status: 'succeeded' },
    settled?: Promise<unknown>,
  ): Promise<void> {
    const error = verdict.status === 'succeeded' ? null : verdict.error;
    const retryAt = verdict.status === 'failed' ? Date.now() + verdict.delayMs : undefined;
    const throttled = verdict.status !== 'succeeded' && verdict.throttled;
    if (throttled) job.throttles += 1;
    job.lastError = error;
    const finished = Date.now();
    // The attempt's history row goes in the same write as the status: no extra commit.
    const attempt = this.repository.attempt(job.id, {
      startedAt: job.attemptStartedAt ?? finished,
      finishedAt: finished,
      outcome: throttled ? 'throttled' : verdict.status,
      error,
    });
    job.attemptStartedAt = undefined;
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
    if (!recorded) return;
    this.announce(job, verdict.status, error, retryAt);
    await settled;
    if (verdict.status === 'failed') return lane.reschedule(job, retryAt!);
    if (
      verdict.status === 'dead' &&
      job.orderKey !== null &&
      this.orderings.get(job.subscriberId)?.onDead === 'hold'
    )
      return lane.hold(job);
    lane.finish(job);
    this.release(job.eventId);
  }

  private announce(
    job: Job,
    status: 'succeeded' | 'failed' | 'dead',
    error: string | null,
    retryAt?: number,
  ): void {
    const signal: DeliverySignal = {
      deliveryId: job.id,
      eventId: job.eventId,
      eventType: this.cache.get(job.eventId)?.raw.type,
      subscriberId: job.subscriberId,
      attempt: job.attempts,
      throttles: job.throttles,
      error,
      seconds: job.startedAt === undefined ? undefined : (performance.now() - job.startedAt) / 1000,
    };
    job.startedAt = undefined;
    // The line for each outcome is written by the event log (observability), from the signal.
    if (status === 'succeeded') return void this.emitter.emit(BUS_SIGNALS.delivered, signal);
    if (status === 'dead') return void this.emitter.emit(BUS_SIGNALS.deadLettered, signal);
    this.emitter.emit(BUS_SIGNALS.failed, { ...signal, nextAttemptAt: new Date(retryAt!).toISOString() });
  }

  private state(job: Job): {
    attempts: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    finishedAt: string | null;
    throttles: number;
  } {
    return {
      attempts: job.attempts,
      nextAttemptAt: null,
      lastError: job.lastError,
      finishedAt: null,
      throttles: job.throttles,
    };
  }

  /**
   * A delivery's state change, with `also` (its attempt's history row) in the same write,
   * committed (retried until it is); false when the service stops first.
   */
  private record(
    job: Job,
    change: Partial<ReturnType<DeliveryEngine['state']>> & {
      status: 'running' | 'succeeded' | 'failed' | 'dead';
    },
    also: Statement[] = [],
  ): Promise<boolean> {
    const statement = this.repository.update(job.id, { ...this.state(job), ...change });
    return this.persist(`recording delivery ${job.id} as ${change.status}`, () =>
      this.repository.write([...also, statement]),
    );
  }

  private persist(what: string, write: () => Promise<unknown>): Promise<boolean> {
    return persist(write, {
      signal: this.stopping.signal,
      onError: (error, tries) => {
        // The first failure and then every tenth: a long outage must not flood the log.
        if (tries === 1 || tries % 10 === 0)
          this.logger.warn(`${what} failed (${tries} tries so far; trying again): ${describe(error)}`);
      },
    });
  }

  /** Runs a task until it completes, waiting longer after each failure; in the background. */
  private async retrying(what: string, task: () => Promise<void>): Promise<void> {
    for (let wait = 1000; !this.stopping.signal.aborted; wait = Math.min(wait * 2, 30_000)) {
      try {
        return await task();
      } catch (error) {
        this.logger.warn(`${what} failed: ${describe(error)}; trying again in ${wait / 1000} s`);
        await sleep(wait, this.stopping.signal);
      }
    }
  }

  /** An event that is not in memory (after a restart): read it and parse it again. */
  private async load(eventId: string): Promise<CachedEvent | undefined> {
    const [row] = await this.repository.events({ ids: [eventId], limit: 1 });
    if (!row) return undefined;
    const incoming = toIncoming(row);
    const parsed = parseWhippyEvent({ ...incoming, receivedAt: new Date(incoming.receivedAt) });
    if (parsed.status !== 'valid') return undefined;
    const cached = {
      event: parsed.event,
      raw: { type: incoming.type, source: incoming.source, data: incoming.data },
    };
    this.cache.set(eventId, cached);
    return cached;
  }

  /**
   * When this process starts running deliveries: every unfinished one runs (again). One that
   * was running when a process stopped is counted; past MAX_INTERRUPTIONS it is dead, so a
   * delivery that crashes the process cannot do it on every start.
   */
  private async resume(): Promise<void> {
    const unfinished = await this.repository.unfinished();
    let orphaned = 0;
    let resumed = 0;
    for (let row of unfinished) {
      if (!this.runner) return;
      if (!this.lanes.has(row.subscriber_id)) {
        orphaned++;
        continue;
      }
      if (row.status === 'running') {
        // The cut-off attempt joins the history in the same write as the count.
        const written = await this.repository.write([
          this.repository.interruptedAttempt(row.id, MAX_INTERRUPTIONS),
          this.repository.interrupted(row.id, MAX_INTERRUPTIONS),
        ]);
        const [updated] = written[1] as DeliveriesTable[];
        if (!updated) continue;
        row = updated;
        if (row.status === 'dead') {
          const job = fromRow(row);
          this.announce(job, 'dead', row.last_error);
          continue;
        }
      }
      this.enqueue(fromRow(row));
      resumed++;
    }
    if (resumed) this.logger.log(`resuming ${resumed} unfinished deliveries`);
    if (orphaned)
      this.logger.warn(
        `${orphaned} unfinished deliveries belong to subscribers that no longer exist; they wait`,
      );
  }

  /** Events left unclassified (a stop, a store that refused writes) and held events of active sources. */
  private async classifyPending(): Promise<void> {
    const active = Object.values(this.config.get('sources', { infer: true }))
      .filter((source) => source.mode === 'active')
      .map((source) => source.name);
    await this.classifyStored({ statuses: ['received'] });
    const released = active.length ? await this.classifyStored({ statuses: ['held'], sources: active }) : 0;
    if (released) this.logger.log(`released ${released} held event(s) of now active sources, in order`);
  }

  /** Classifies stored events page by page, in arrival order. */
  private async classifyStored(filter: {
    statuses: string[];
    sources?: string[];
    until?: string;
  }): Promise<number> {
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const rows = await this.repository.events({ ...filter, after, limit: PAGE });
      if (rows.length === 0) return count;
      for (const row of rows) {
        const incoming = toIncoming(row);
        await this.commit(
          incoming.data
            ? this.classify(incoming)
            : {
                statements: [this.repository.eventStatus(row.id, 'invalid', ['body is not a JSON envelope'])],
                jobs: [],
              },
        );
      }
      count += rows.length;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * PostgreSQL, in the process that runs deliveries: picks up deliveries the other processes
   * made or repairs claimed, and classifies events another process stored but did not (it
   * stopped first).
   */
  private async poll(): Promise<void> {
    if (!this.runner || this.stopping.signal.aborted) return;
    const started = Date.now();
    try {
      const since = new Date((this.polledAt || started) - POLL_OVERLAP_MS).toISOString();
      for (const row of await this.repository.pendingSince(since, 2 * PAGE)) this.adopt(row);
      await this.classifyStored({
        statuses: ['received'],
        until: new Date(started - POLL_OVERLAP_MS).toISOString(),
      });
      this.polledAt = started;
    } catch (error) {
      this.logger.warn(`looking for deliveries made by other processes failed: ${describe(error)}`);
    }
  }
}
