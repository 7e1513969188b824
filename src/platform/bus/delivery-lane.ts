/** A delivery as the engine schedules it in memory; the store holds the same state. */
export interface Job {
  id: string;
  eventId: string;
  subscriberId: string;
  attempts: number;
  /** Deliveries with the same key run one at a time, in event order. */
  orderKey: string | null;
  /** When it may run next (ms since epoch). */
  dueAt: number;
  lastError: string | null;
  timer?: NodeJS.Timeout;
  /** performance.now() when the current attempt's handler started. */
  startedAt?: number;
}

/**
 * The deliveries of one subscriber: at most `concurrency` running at once, and for each order
 * key only the oldest one runs (or waits for its retry) while the others queue behind it. A
 * failing key holds back only itself; other keys and other subscribers go on.
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

  add(job: Job): void {
    this.jobs.set(job.id, job);
    if (job.orderKey === null) return this.activate(job);
    const queue = this.keys.get(job.orderKey);
    if (queue) return void queue.push(job);
    this.keys.set(job.orderKey, [job]);
    this.activate(job);
  }

  /** The job failed and stays at the head of its key until it runs again at `dueAt`. */
  reschedule(job: Job, dueAt: number): void {
    job.dueAt = dueAt;
    this.activate(job);
  }

  /** The job succeeded or is dead: the next of its key may go. */
  finish(job: Job): void {
    this.jobs.delete(job.id);
    if (job.orderKey === null) return;
    const queue = this.keys.get(job.orderKey)!;
    queue.shift();
    if (queue.length === 0) this.keys.delete(job.orderKey);
    else this.activate(queue[0]);
  }

  has(id: string): boolean {
    return this.jobs.has(id);
  }

  /** Runs a job that waits for its retry now; false when it is not waiting on a timer. */
  runNow(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job?.timer) return false;
    clearTimeout(job.timer);
    job.timer = undefined;
    job.dueAt = Date.now();
    this.enqueue(job);
    return true;
  }

  stop(): void {
    for (const job of this.jobs.values()) if (job.timer) clearTimeout(job.timer);
    this.ready.length = 0;
  }

  private activate(job: Job): void {
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
