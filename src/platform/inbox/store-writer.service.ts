import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { STORE_SIGNALS, type StoreCommittedSignal } from './store-signals.js';
import type { Statement, StatementRunner } from './statement-runner.js';
import { STATEMENT_RUNNER } from './inbox.tokens.js';

interface Pending {
  statements: Statement[];
  resolve(rows: unknown[][]): void;
  reject(error: Error): void;
}

/** Most statements one transaction carries before the rest wait for the next. */
const MAX_STATEMENTS = 1000;

/** The store could not commit; nothing of the write took effect. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store could not commit: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Every write to the store goes through here. Writes that arrive together share one
 * transaction (group commit): one fsync for many, each caller answered only after its own
 * statements are committed. Each caller's statements stay together and in order.
 */
@Injectable()
export class StoreWriter {
  private readonly logger = new Logger('Store');
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    @Inject(STATEMENT_RUNNER) private readonly runner: StatementRunner,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {}

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
      const rows = await this.runner.run(batch.flatMap((p) => p.statements));
      this.announce(started, count, true);
      let offset = 0;
      for (const pending of batch) {
        pending.resolve(rows.slice(offset, offset + pending.statements.length));
        offset += pending.statements.length;
      }
    } catch (error) {
      this.announce(started, count, false);
      this.logger.error(`commit of ${count} statement(s) failed: ${(error as Error).message}`);
      const failure = new StoreUnavailableError(error);
      for (const pending of batch) pending.reject(failure);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
