/** How long one pruning write may hold the writer before the next batch is made smaller. */
export const WRITE_BUDGET_MS = 8;
/** The share of the writer's time pruning may take: it rests this many times its write's length. */
export const REST_FACTOR = 4;
/** The smallest batch: a slow disk slows pruning down, it never stops it. */
export const MIN_BATCH = 10;
/** The shortest rest between two batches. */
export const MIN_REST_MS = 25;

/**
 * Sizes pruning's batches by how long the last write took: it halves the batch when a write
 * held the writer past WRITE_BUDGET_MS (a slow disk, or ingest queued in front of it) and
 * doubles it, up to the configured maximum, when a write took under half of that. After each
 * write it rests REST_FACTOR times the write's length (at least MIN_REST_MS), so pruning takes
 * at most a fifth of the writer and an incoming webhook waits for at most one short batch.
 */
export class RetentionPacer {
  private current: number;

  constructor(private readonly max: number) {
    this.current = Math.min(max, 50);
  }

  /** Rows for the next batch. */
  get size(): number {
    return this.current;
  }

  /** Records how long a batch's write took; returns how long to rest before the next one. */
  took(ms: number): number {
    if (ms > WRITE_BUDGET_MS)
      this.current = Math.max(Math.min(MIN_BATCH, this.max), Math.floor(this.current / 2));
    else if (ms < WRITE_BUDGET_MS / 2) this.current = Math.min(this.max, this.current * 2);
    return Math.max(MIN_REST_MS, ms * REST_FACTOR);
  }
}
