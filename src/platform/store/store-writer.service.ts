import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { STORE_SIGNALS, type StoreCommittedSignal } from './store-signals.js';
import type { Statement, StatementRunner } from './statement-runner.js';
import { STATEMENT_RUNNER } from './store.tokens.js';

interface Pending {
  statements: Statement[];
  resolve(rows: unknown[][]): void;
  reject(error: Error): void;
}

/** Most statements one transaction carries before the rest wait for the next. */
const MAX_STATEMENTS = 1000;

/** How often a store that refused a write is tried again while nothing else writes. */
const PROBE_INTERVAL_MS = 1000;

/** The store could not commit; nothing of the write took effect. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store could not commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Called with the new state each time the store starts or stops accepting writes. */
export type WritabilityListener = (writable: boolean) => void;

/**
 * Every write to the store goes through here. Writes that arrive together share one
 * transaction (group commit): one fsync for many, each caller answered only after its own
 * statements are committed. Each caller's statements stay together and in order. When a shared
 * commit fails, it is run again with each caller under its own savepoint, so one bad row never
 * fails its neighbours.
 *
 * It also knows whether the store accepts writes (`writable`): after a failed commit it runs
 * the probe write (see `useProbe`) until one succeeds; readiness and recovery follow that.
 * A refused write is answered after that probe, so `writable` then tells its caller whether
 * the store is down or refused only that write.
 */
@Injectable()
export class StoreWriter implements OnModuleInit {
  private readonly logger = new Logger('Store');
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;
  private closed = false;
  private isWritable = true;
  private lastError?: string;
  private probeStatements?: () => Statement[];
  private probeTimer?: NodeJS.Timeout;
  private readonly listeners = new Set<WritabilityListener>();

  constructor(
    @Inject(STATEMENT_RUNNER) private readonly runner: StatementRunner,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {}

  /** Learns at start whether the store takes writes, before recovery and before traffic. */
  async onModuleInit(): Promise<void> {
    if (this.probeStatements) await this.probe();
  }

  /** Whether the last commit (or probe) succeeded: false while the store refuses writes. */
  get writable(): boolean {
    return this.isWritable;
  }

  /** Why the store last refused a write, while it does; for readiness. */
  get unwritableReason(): string | undefined {
    return this.isWritable ? undefined : this.lastError;
  }

  /** Subscribes to changes of `writable`; returns the unsubscribe function. */
  onWritabilityChange(listener: WritabilityListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves at once while writable, otherwise once the store accepts writes again. */
  whenWritable(): Promise<void> {
    if (this.isWritable) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onWritabilityChange((writable) => {
        if (!writable) return;
        off();
        resolve();
      });
    });
  }

  /**
   * The statements of a harmless write that tells whether the store accepts writes like the
   * real ones (the Inbox gives an insert and delete of a sentinel event in one transaction).
   */
  useProbe(statements: () => Statement[]): void {
    this.probeStatements = statements;
  }

  write(statements: Statement[]): Promise<unknown[][]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ statements, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every write handed over so far has been committed or refused. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing || this.scheduled) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.drain();
    await this.runner.close();
  }

  private announce(started: number, statements: number, ok: boolean): void {
    if (!this.emitter) return;
    const signal: StoreCommittedSignal = { seconds: (performance.now() - started) / 1000, statements, ok };
    try {
      this.emitter.emit(STORE_SIGNALS.committed, signal);
    } catch {
      // a listener's mistake must not turn a commit into a failure
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate lets every request already read off the sockets join this commit.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    let count = 0;
    let take = 0;
    while (
      take < this.queue.length &&
      (take === 0 || count + this.queue[take].statements.length <= MAX_STATEMENTS)
    ) {
      count += this.queue[take++].statements.length;
    }
    const batch = this.queue.splice(0, take);
    const started = performance.now();
    try {
      const rows = await this.runner.run(batch.map((p) => p.statements));
      batch.forEach((pending, i) => pending.resolve(rows[i]));
      this.announce(started, count, true);
      this.setWritable(true);
    } catch (error) {
      this.announce(started, count, false);
      if (batch.length === 1) {
        this.logger.error(`commit of ${count} statement(s) failed: ${(error as Error).message}`);
        // Answered once the probe has told whether the store itself is down (`writable`).
        await this.probe();
        batch[0].reject(new StoreUnavailableError(error));
      } else {
        await this.commitEach(batch, error);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** The shared commit failed: again, each caller under its own savepoint. */
  private async commitEach(batch: Pending[], sharedError: unknown): Promise<void> {
    try {
      const outcomes = await this.runner.runIsolated(batch.map((p) => p.statements));
      const refused: [Pending, Error][] = [];
      outcomes.forEach((outcome, i) => {
        if ('rows' in outcome) batch[i].resolve(outcome.rows);
        else refused.push([batch[i], new StoreUnavailableError(new Error(outcome.error))]);
      });
      this.logger.error(
        `commit of ${batch.length} writes failed (${(sharedError as Error).message}); ` +
          `committed one by one: ${refused.length} refused`,
      );
      if (refused.length < outcomes.length) this.setWritable(true);
      else await this.probe();
      for (const [pending, failure] of refused) pending.reject(failure);
    } catch (error) {
      this.logger.error(`commit of ${batch.length} writes failed: ${(error as Error).message}`);
      await this.probe();
      const failure = new StoreUnavailableError(error);
      for (const pending of batch) pending.reject(failure);
    }
  }

  /** Runs the probe write; while it fails, runs it again every PROBE_INTERVAL_MS. */
  private async probe(): Promise<void> {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.probeStatements || this.closed) return;
    try {
      await this.runner.run([this.probeStatements()]);
      this.setWritable(true);
    } catch (error) {
      this.lastError = (error as Error).message;
      this.setWritable(false);
      this.probeTimer = setTimeout(() => void this.probeWhenIdle(), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
    }
  }

  /** A probe waits for the commit under way: the runner takes one transaction at a time. */
  private async probeWhenIdle(): Promise<void> {
    if (this.isWritable || this.closed) return;
    if (this.flushing) {
      this.probeTimer = setTimeout(() => void this.probeWhenIdle(), PROBE_INTERVAL_MS);
      this.probeTimer.unref();
      return;
    }
    this.flushing = true;
    try {
      await this.probe();
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private setWritable(writable: boolean): void {
    if (writable === this.isWritable) return;
    this.isWritable = writable;
    if (writable) {
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      this.logger.log('the store accepts writes again');
    } else {
      this.logger.error(
        `the store refuses writes: ${this.lastError}; retrying every ${PROBE_INTERVAL_MS} ms`,
      );
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(writable);
      } catch (error) {
        this.logger.error(`a writability listener failed: ${(error as Error).message}`);
      }
    }
  }
}
