/**
 * Group commit within the current turn of the event loop. Items submitted by
 * one burst of callbacks (the sends a claim pass started, the outcomes an
 * inbox commit resolved) are written together as soon as that burst is over
 * (process.nextTick), not in the next turn's check phase, where they would
 * run ahead of the next accept commit and claim pass and delay every message
 * accepted meanwhile. A pass's whole pipeline (claim, send, record) then runs
 * back to back. Items arriving during a commit go in the next one.
 */
interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class TurnWriter<T> {
  private queue: Pending<T>[] = [];
  private flushing = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    // Bounded so one synchronous commit never holds the event loop for long.
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.flushing || this.scheduled) return;
      this.scheduled = true;
      process.nextTick(() => {
        this.scheduled = false;
        void this.run();
      });
    });
  }

  /** Resolves once everything submitted so far has been flushed (or failed). */
  drain(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.flush(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
