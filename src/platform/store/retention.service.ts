import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { sql } from 'kysely';
import type { AppConfig, RetentionConfig } from '../../config/app-config.js';
import type { Store } from './database.js';
import { STORE } from './store.tokens.js';
import { DeliveriesRepository, type FinishedStatus } from './deliveries.repository.js';
import { DeliveryAttemptsRepository } from './delivery-attempts.repository.js';
import { EventsRepository } from './events.repository.js';
import { RetentionPacer } from './retention-pacer.js';
import { STORE_SIGNALS, type RetentionRun } from './store-signals.js';
import { StoreWriter } from './store-writer.service.js';

/** At most this many SQLite pages (4 KiB each) handed back per transaction. */
const VACUUM_PAGES = 1000;
/** The first run waits this long after the start, so it never competes with recovery. */
const FIRST_RUN_DELAY_MS = 60_000;

const DAY_MS = 86_400_000;
const rest = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Prunes what `retention` no longer keeps, in the background: expired deliveries with their
 * attempts, then events that no delivery refers to any more, in batches of `batchSize` rows,
 * each one short write through the StoreWriter (so ingest's commits interleave with it), then
 * hands SQLite's freed pages back to the file system. A RetentionPacer sizes each batch (up to
 * `batchSize`) by how long the last write held the writer, and rests between batches, so
 * pruning never holds an incoming webhook's commit for long. One run at a time per process; two
 * processes on one PostgreSQL may both run: each batch re-checks its conditions as it deletes.
 */
@Injectable()
export class Retention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Retention');
  private readonly settings: RetentionConfig;
  private timer?: NodeJS.Timeout;
  private current?: Promise<RetentionRun>;
  private stopping = false;
  private last?: RetentionRun;

  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
    private readonly events: EventsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly attempts: DeliveryAttemptsRepository,
    config: ConfigService<AppConfig, true>,
    @Optional() private readonly emitter?: EventEmitter2,
  ) {
    this.settings = config.get('retention', { infer: true });
  }

  /** The last finished run, if any (counts only). */
  get lastRun(): RetentionRun | undefined {
    return this.last;
  }

  onApplicationBootstrap(): void {
    if (this.settings.enabled) this.schedule(Math.min(FIRST_RUN_DELAY_MS, this.intervalMs));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    // A run stops after its current batch: the writer is still open here.
    await this.current?.catch(() => undefined);
  }

  /** Prunes now (a run under way is joined, not doubled); resolves with what it pruned. */
  run(now = new Date()): Promise<RetentionRun> {
    this.current ??= this.prune(now).finally(() => (this.current = undefined));
    return this.current;
  }

  private get intervalMs(): number {
    return this.settings.intervalMinutes * 60_000;
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      // A store refusing writes is the writer's to report; pruning waits for the next turn.
      if (this.writer.writable) await this.run();
    } catch (error) {
      this.logger.warn(
        `pruning stopped early: ${(error as Error).message}; next run in ${this.settings.intervalMinutes} min`,
      );
    }
    this.schedule(this.intervalMs);
  }

  private async prune(now: Date): Promise<RetentionRun> {
    const startedAt = now.toISOString();
    const before = new Date(now.getTime() - this.settings.days * DAY_MS).toISOString();
    const deadBefore = new Date(now.getTime() - this.settings.deadDays * DAY_MS).toISOString();
    const run: RetentionRun = {
      startedAt,
      finishedAt: '',
      events: 0,
      deliveries: 0,
      attempts: 0,
      pagesReclaimed: 0,
    };

    const pacer = new RetentionPacer(this.settings.batchSize);
    for (const [status, cutoff] of [
      ['succeeded', before],
      ['dead', deadBefore],
    ] as [FinishedStatus, string][]) {
      for (;;) {
        if (this.stopping) return this.finish(run);
        const size = pacer.size;
        const batch = this.deliveries.expired(status, cutoff, size);
        const [[attempts, deliveries], ms] = await timed(
          this.writer.write([this.attempts.deleteOf(batch), this.deliveries.deleteBatch(batch)]),
        );
        run.attempts += attempts.length;
        run.deliveries += deliveries.length;
        if (deliveries.length < size) break;
        await rest(pacer.took(ms));
      }
    }
    let from = '';
    for (;;) {
      if (this.stopping) return this.finish(run);
      const size = pacer.size;
      const [[events], ms] = await timed(
        this.writer.write([this.events.deleteExpired({ before, deadBefore, from }, size)]),
      );
      run.events += events.length;
      if (events.length < size) break;
      from = (events as { received_at: string }[]).reduce(
        (max, e) => (e.received_at > max ? e.received_at : max),
        from,
      );
      await rest(pacer.took(ms));
    }
    if (run.events + run.deliveries > 0) run.pagesReclaimed = await this.reclaim();
    return this.finish(run);
  }

  /** SQLite: gives the file's free pages back, VACUUM_PAGES per write; PostgreSQL's autovacuum does its own. */
  private async reclaim(): Promise<number> {
    if (this.store.dialect !== 'sqlite') return 0;
    const pacer = new RetentionPacer(VACUUM_PAGES);
    let reclaimed = 0;
    for (let free = await this.freePages(); free > 0 && !this.stopping;) {
      const [, ms] = await timed(
        this.writer.write([{ sql: `PRAGMA incremental_vacuum(${pacer.size})`, parameters: [] }]),
      );
      const left = await this.freePages();
      // Another process's writes may take pages back meanwhile; stop once nothing moves.
      if (left >= free) break;
      reclaimed += free - left;
      free = left;
      if (free > 0) await rest(pacer.took(ms));
    }
    return reclaimed;
  }

  private async freePages(): Promise<number> {
    const { rows } = await sql<{ freelist_count: number }>`PRAGMA freelist_count`.execute(this.store.db);
    return Number(rows[0]?.freelist_count ?? 0);
  }

  private finish(run: RetentionRun): RetentionRun {
    run.finishedAt = new Date().toISOString();
    this.last = run;
    this.logger.log(
      `pruned ${run.events} event(s), ${run.deliveries} delivery(ies), ${run.attempts} attempt(s)` +
        (this.store.dialect === 'sqlite' ? `; reclaimed ${run.pagesReclaimed} page(s)` : ''),
    );
    try {
      this.emitter?.emit(STORE_SIGNALS.pruned, run);
    } catch {
      // a listener's mistake must not fail the run
    }
    return run;
  }
}

/** A promise's value and how many milliseconds it took. */
async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work;
  return [value, performance.now() - started];
}
