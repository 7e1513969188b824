import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * How far V8's old generation may grow past what survived the last full collection: a quarter
 * of that, and at least 24 MiB. V8's own choice goes up to 4× what survived while the program
 * allocates fast, and a delivery service does: every attempt (above all the retries of a
 * backlog whose targets are down) leaves objects that live for seconds, get promoted, then
 * die. With ~60 MiB live that let the heap reach ~280 MiB of mostly garbage (RSS ~200 MiB over
 * idle).
 *
 * A quarter alone (1.25×) bounds that, but costs ingest: with ~42 MiB live, a busy webhook
 * receiver promoting ~60 MiB/s ran a full collection every 0.2 s, marking the whole heap each
 * time on the cores that serve requests (about 10% of its throughput). The 24 MiB floor makes
 * those collections rarer while the heap is small, and changes nothing once it is large.
 */
export const HEAP_GROWTH = { share: 0.25, floorBytes: 24 * 1024 * 1024 };

/** V8's own largest factor, 4×, as its percentage over 1. */
const MAX_PERCENT = 300;

/** A V8 flag that already decides how the heap grows: the operator's choice wins. */
const OPERATOR_FLAG = /^--(heap[-_]growing[-_]percent|optimize[-_]for[-_]size)\b/;

/** The growing factor, as V8's percentage over 1, for a heap of which `liveBytes` survived. */
export function growingPercent(liveBytes: number): number {
  const growth = Math.max(HEAP_GROWTH.share * liveBytes, HEAP_GROWTH.floorBytes);
  return Math.min(MAX_PERCENT, Math.round((100 * growth) / Math.max(liveBytes, 1)));
}

/**
 * Keeps V8's heap growing factor at growingPercent() of the heap in use, set again after each
 * full collection (V8 reads it when it sets the next limit), unless the command line sets
 * --heap-growing-percent or --optimize-for-size. Returns whether it did.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => OPERATOR_FLAG.test(arg))) return false;
  let current = 0;
  const apply = () => {
    const percent = growingPercent(getHeapStatistics().used_heap_size);
    if (percent === current) return;
    setFlagsFromString(`--heap-growing-percent=${percent}`);
    current = percent;
  };
  apply();
  new PerformanceObserver((list) => {
    const major = list
      .getEntries()
      .some(
        (entry) =>
          (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
      );
    if (major) apply();
  }).observe({ entryTypes: ['gc'] });
  return true;
}
