/** A delivery as the engine schedules it in memory; the store holds the same state. */
export interface Job {
  id: string;
  eventId: string;
  subscriberId: string;
  /** Runs so far. */
  attempts: number;
  /** Runs that ended throttled (RetryLater). */
  throttles: number;
  /** Deliveries with the same key run one at a time, in event order. */
  orderKey: string | null;
  /** When it may run next (ms since epoch). */
  dueAt: number;
  lastError: string | null;
  timer?: NodeJS.Timeout;
  /** Queued, waiting for its time, or running: on its way, so nothing may overtake it. */
  busy?: boolean;
  /** Dead at the head of its key, holding the key (`onDead: hold`) until retried. */
  held?: boolean;
  /** performance.now() when the current attempt's handler started. */
  startedAt?: number;
  /** Date.now() when the current attempt started (set running), for its history row. */
  attemptStartedAt?: number;
  /**
   * Made by this process and not yet run: its first attempt does not wait for its running
   * mark to commit (see DeliveryRunner.attempt).
   */
  fresh?: boolean;
}

/** Received order: by event id (sortable), then delivery id. */
const before = (a: Job, b: Job): boolean => a.eventId < b.eventId || (a.eventId === b.eventId && a.id < b.id);

/**
 * The deliveries of one subscriber: at most `concurrency` running at once, and for each order
 * key only the oldest one runs (or waits for its retry) while the others queue behind it, in
 * received order. A failing key holds back only itself; other keys and other subscribers go on.
 * A job is in the lane once: adding it again does nothing.
 */
export class DeliveryLane {
  private running = 0;
  private readonly ready: Job[] = [];
  private readonly keys = new Map<string, Job[]>();
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly concurrency: number,
    private readonly run: (job: Job) => Promise<void>,
  ) {}

  get size(): number {
    return this.jobs.size;
  }

  get active(): number {
    return this.running;
  }

  /** false when the job is in the lane already. A job marked `held` joins without running. */
  add(job: Job): boolean {
    if (this.jobs.has(job.id)) return false;
    this.jobs.set(job.id, job);
    if (job.orderKey === null) {
      this.schedule(job);
      return true;
    }
    const queue = this.keys.get(job.orderKey);
    if (!queue) {
      this.keys.set(job.orderKey, [job]);
      if (!job.held) this.schedule(job);
      return true;
    }
    // In received order, but never ahead of a head already on its way.
    let i = queue.length;
    while (i > 0 && before(job, queue[i - 1]) && !(i === 1 && (queue[0].busy || queue[0].held))) i--;
    queue.splice(i, 0, job);
    if (i === 0 && !job.held) this.schedule(job);
    return true;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** The job failed and stays at the head of its key until it runs again at `dueAt`. */
  reschedule(job: Job, dueAt: number): void {
    job.dueAt = dueAt;
    this.schedule(job);
  }

  /** The job succeeded or is dead: the next of its key may go. */
  finish(job: Job): void {
    this.jobs.delete(job.id);
    job.busy = false;
    job.held = false;
    if (job.orderKey === null) return;
    const queue = this.keys.get(job.orderKey);
    const at = queue?.indexOf(job) ?? -1;
    if (!queue || at < 0) return;
    queue.splice(at, 1);
    if (queue.length === 0) this.keys.delete(job.orderKey);
    else if (at === 0 && !queue[0].busy) this.schedule(queue[0]);
  }

  /**
   * The job leaves memory without finishing (its retry is far off; the store keeps it): with
   * every job of its key, which must not overtake it. Returns how many left.
   */
  evict(job: Job): number {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    job.busy = false;
    const queue = job.orderKey === null ? undefined : this.keys.get(job.orderKey);
    const leaving = queue ?? [job];
    for (const other of leaving) {
      if (other.timer) clearTimeout(other.timer);
      other.timer = undefined;
      this.jobs.delete(other.id);
    }
    if (queue) this.keys.delete(job.orderKey!);
    return leaving.length;
  }

  /** The job is dead and keeps its key: the next ones wait until it is retried (`onDead: hold`). */
  hold(job: Job): void {
    job.busy = false;
    job.held = true;
  }

  /**
   * Older deliveries of the job's key turned up (made by another process, or held dead): they
   * go first, and the job steps back to wait its turn.
   */
  stepBack(job: Job, older: Job[]): void {
    job.busy = false;
    const queue = job.orderKey === null ? undefined : this.keys.get(job.orderKey);
    // Older ones that joined behind it while it was on its way go first now.
    queue?.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    for (const other of older) this.add(other);
    if (!queue || queue[0] === job) return this.schedule(job);
    if (!queue[0].busy && !queue[0].held) this.schedule(queue[0]);
  }

  /** Runs a job that waits for its retry, or is held dead, now; false when it is not waiting. */
  runNow(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) return false;
    if (job.held) {
      job.held = false;
      job.dueAt = Date.now();
      this.schedule(job);
      return true;
    }
    if (!job.timer) return false;
    clearTimeout(job.timer);
    job.timer = undefined;
    job.dueAt = Date.now();
    this.enqueue(job);
    return true;
  }

  /** The delivery this one waits for: the head of its key, when that is another. */
  waitingFor(id: string): string | undefined {
    const job = this.jobs.get(id);
    if (!job || job.orderKey === null) return undefined;
    const head = this.keys.get(job.orderKey)?.[0];
    return head && head !== job ? head.id : undefined;
  }

  /** Forgets every job (this process no longer runs deliveries); running ones finish on their own. */
  clear(): void {
    this.stop();
    this.jobs.clear();
    this.keys.clear();
  }

  stop(): void {
    for (const job of this.jobs.values()) if (job.timer) clearTimeout(job.timer);
    this.ready.length = 0;
  }

  private schedule(job: Job): void {
    job.busy = true;
    const delay = job.dueAt - Date.now();
    if (delay <= 0) return this.enqueue(job);
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.enqueue(job);
    }, delay);
    job.timer.unref();
  }

  private enqueue(job: Job): void {
    this.ready.push(job);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      this.running++;
      void this.run(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}
