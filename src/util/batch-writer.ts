/**
 * Group commit. Callers submit items and await the promise; all items that
 * arrive while a commit is in flight are written together by the next one.
 * One fsync then serves a whole batch of requests instead of each paying its
 * own, which is what makes a durable 200 affordable on SQLite.
 *
 * When the commit runs: by default in the next turn's check phase
 * (setImmediate), so every request already parsed in this I/O phase joins
 * the batch. With `thisTurn`, as soon as the current burst of callbacks is
 * over (process.nextTick): the dispatcher's outcomes and the sandbox's
 * arrivals then commit right after the work that produced them instead of
 * running ahead of the next accept commit and claim pass.
 */
export type FlushFn<T> = (items: T[]) => Promise<void>;

export interface BatchOptions<T> {
  /**
   * Bounded so one synchronous commit never holds the event loop for long: at
   * most this many items, and (when items are weighed, e.g. by their bytes) at
   * most `maxWeight` per commit, though always at least one item.
   */
  maxBatch?: number;
  weigh?: (item: T) => number;
  maxWeight?: number;
  thisTurn?: boolean;
  /**
   * Commits in flight at once (default 1: one after another). More suits a
   * database whose commit is a round trip on a pool of connections
   * (PostgreSQL): items arriving during a commit go in the next one at once
   * instead of waiting for it. Batches then commit in any order.
   */
  concurrency?: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class BatchWriter<T> {
  private queue: Pending<T>[] = [];
  /** Commit loops running (at most `concurrency`). */
  private workers = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  private readonly maxBatch: number;
  private readonly weigh: ((item: T) => number) | undefined;
  private readonly maxWeight: number;
  private readonly defer: (fn: () => void) => void;
  private readonly concurrency: number;

  constructor(
    private readonly flush: FlushFn<T>,
    options: BatchOptions<T> = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.weigh = options.weigh;
    this.maxWeight = options.maxWeight ?? Number.POSITIVE_INFINITY;
    this.defer = options.thisTurn === true ? (fn) => process.nextTick(fn) : (fn) => setImmediate(fn);
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items submitted and not yet flushed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once everything submitted so far has been flushed (or failed). */
  drain(): Promise<void> {
    if (this.workers === 0 && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.workers >= this.concurrency) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private batchLength(): number {
    const limit = Math.min(this.maxBatch, this.queue.length);
    if (this.weigh === undefined) return limit;
    let weight = 0;
    for (let n = 0; n < limit; n++) {
      const item = this.queue[n];
      weight += item === undefined ? 0 : this.weigh(item.item);
      if (weight > this.maxWeight) return Math.max(1, n);
    }
    return limit;
  }

  private async run(): Promise<void> {
    if (this.workers >= this.concurrency) return;
    this.workers += 1;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchLength());
        try {
          await this.flush(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
        // More waiting: let the event loop run (timers, I/O) before the next commit.
        if (this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.workers -= 1;
    }
    if (this.workers === 0 && !this.scheduled && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
