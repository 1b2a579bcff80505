/**
 * A per-instance number from the database (messages waiting, bytes of media
 * waiting) for the accept path, without a query per request: read at most
 * once per `refreshMs` per instance, with what this node added since counted
 * on top until the next read. Callers wait for `fresh`, then read `current`
 * and act on it in the same step, so concurrent requests each see what the
 * ones before them added.
 */
import { LRUCache } from 'lru-cache';

export class InstanceTotals {
  /** Bounded: the least recently used total goes first (it would be re-read anyway). */
  private readonly read: LRUCache<string, { value: number; at: number }>;
  /** Reads in flight, shared by the requests that wait for them. */
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly query: (instanceId: string) => Promise<number>,
    private readonly refreshMs = 1_000,
    private readonly now: () => number = Date.now,
    capacity = 10_000,
  ) {
    this.read = new LRUCache({ max: capacity });
  }

  /** Resolves once the instance's total is recent enough. */
  fresh(instanceId: string): Promise<void> {
    const entry = this.read.get(instanceId);
    const at = this.now();
    if (entry !== undefined && at - entry.at < this.refreshMs) return Promise.resolve();
    let pending = this.reading.get(instanceId);
    if (pending === undefined) {
      pending = this.query(instanceId)
        .then((value) => {
          this.read.set(instanceId, { value, at });
        })
        .finally(() => this.reading.delete(instanceId));
      this.reading.set(instanceId, pending);
    }
    return pending;
  }

  /** The total as last read, plus what was added since (0 before the first read). */
  current(instanceId: string): number {
    return this.read.get(instanceId)?.value ?? 0;
  }

  /** This node added to the instance's total: it counts until the next read. */
  add(instanceId: string, n: number): void {
    const entry = this.read.get(instanceId);
    if (entry !== undefined) entry.value += n;
  }

  /** Instances whose total is held (for tests and metrics). */
  get size(): number {
    return this.read.size;
  }
}
