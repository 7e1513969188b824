import { setFlagsFromString } from 'node:v8';
import { type INestApplication, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BUS_SIGNALS } from './platform/bus/bus-signals.js';
import { DeliveryQueue } from './platform/bus/delivery-queue.js';

/**
 * How far V8's old generation may grow past what survived the last full collection before
 * the next one, while a delivery backlog is held in memory: 1.25×. V8's own choice goes up to
 * 4× while the program allocates fast, and a backlog's retries leave objects that live for
 * seconds, get promoted, then die. With ~60 MiB live, that let the heap reach ~280 MiB of
 * mostly garbage (RSS ~200 MiB over idle); at 1.25× it stays ~40 MiB over.
 */
export const HEAP_GROWING_PERCENT = 25;

/** Deliveries waiting in this process's memory from which the heap's growth is bounded. */
export const BACKLOG_THRESHOLD = 100;

/** Checks in a row without a backlog before V8's own growth is given back. */
export const CALM_CHECKS = 4;

/** How often the backlog is looked at. */
const CHECK_INTERVAL_MS = 500;

/** How long without a backlog before V8's own growth is given back, for the log: "2 s". */
const CALM_FOR = `${(CALM_CHECKS * CHECK_INTERVAL_MS) / 1000} s`;

/** A V8 flag that already decides how the heap grows: the operator's choice wins. */
const OPERATOR_FLAG = /^--(heap[-_]growing[-_]percent|optimize[-_]for[-_]size)\b/;

/**
 * Bounds the heap's growth (HEAP_GROWING_PERCENT) while a delivery backlog is being worked
 * off, and leaves it to V8 otherwise. The bound is what keeps a backlog's memory flat; without
 * one it only costs: a receiver promotes the requests waiting for their commit, and at 1.25× V8
 * marks the whole heap several times a second (about 10% of ingest throughput, and its p99).
 * A backlog: BACKLOG_THRESHOLD deliveries waiting in memory, or attempts failing (their
 * deliveries wait in the store for a retry). It starts bounded: at start the recovery pages a
 * backlog in from the store, and unbounded that burst alone left the heap ~60 MiB larger.
 * V8 reads the flag at each full collection, so a change takes effect at the next one.
 */
export class HeapGrowthPolicy {
  private readonly logger = new Logger('Memory');
  private bounded = true;
  private calm = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;

  private constructor(private readonly apply: (percent: number) => void) {
    apply(HEAP_GROWING_PERCENT);
  }

  /**
   * The policy for this process, bounding the growth from now on; undefined when its command
   * line sets --heap-growing-percent or --optimize-for-size (Node refuses both in
   * NODE_OPTIONS): the operator decides then.
   */
  static forProcess(
    execArgv: readonly string[] = process.execArgv,
    apply: (percent: number) => void = (percent) => setFlagsFromString(`--heap-growing-percent=${percent}`),
  ): HeapGrowthPolicy | undefined {
    if (execArgv.some((arg) => OPERATOR_FLAG.test(arg))) return undefined;
    return new HeapGrowthPolicy(apply);
  }

  /** Whether the growth is bounded now. */
  get isBounded(): boolean {
    return this.bounded;
  }

  /** A delivery attempt failed: it counts as a backlog at the next check. */
  failed(): void {
    this.failures++;
  }

  /** Follows the app's deliveries: what its queue holds in memory, and its failed attempts. */
  followDeliveries(app: INestApplication): void {
    const queue = app.get(DeliveryQueue, { strict: false });
    app.get(EventEmitter2).on(BUS_SIGNALS.failed, () => this.failed());
    this.follow(() => queue.waitingInMemory());
  }

  /**
   * Checks now, then every CHECK_INTERVAL_MS for the life of the process (the timer does not
   * keep it alive), with `waiting()` deliveries held in memory.
   */
  follow(waiting: () => number): void {
    clearInterval(this.timer);
    this.check(waiting());
    this.timer = setInterval(() => this.check(waiting()), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Bounds the growth as soon as there is a backlog (`waiting` deliveries in memory, or
   * failures since the last check); gives it back to V8 after CALM_CHECKS checks in a row
   * without one.
   */
  check(waiting: number): void {
    const failures = this.failures;
    this.failures = 0;
    if (waiting >= BACKLOG_THRESHOLD || failures > 0) {
      this.calm = 0;
      if (this.bounded) return;
      this.set(true);
      this.logger.log(
        `delivery backlog (${waiting} waiting in memory, ${failures} attempts failed since the last look): the heap may grow to ${1 + HEAP_GROWING_PERCENT / 100}× what is live until it is gone`,
      );
    } else if (this.bounded && ++this.calm >= CALM_CHECKS) {
      this.set(false);
      this.logger.log(`no delivery backlog for ${CALM_FOR}: V8 sizes the heap again`);
    }
  }

  private set(bounded: boolean): void {
    this.bounded = bounded;
    this.calm = 0;
    // 0 is V8's default: its own heuristics.
    this.apply(bounded ? HEAP_GROWING_PERCENT : 0);
  }
}
