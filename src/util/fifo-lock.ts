/**
 * A lock handed to its waiters one at a time, in the order they asked. (A
 * lock whose release wakes every waiter to race for it again costs each
 * release as much as there are waiters: quadratic under a queue of them.)
 */
export class FifoLock {
  private held = false;
  private readonly waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Takes the lock at once if it is free (no waiting, not even a microtask). */
  tryAcquire(): boolean {
    if (this.held) return false;
    this.held = true;
    return true;
  }

  /** Hands the lock to the longest waiter, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.held = false;
  }
}
