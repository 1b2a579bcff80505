/**
 * A per-instance number from the database (messages waiting, bytes of media
 * waiting) for the accept path, without a query per request: read at most
 * once per `refreshMs` per instance, with what this node added since counted
 * on top until the next read.
 */
import { LRUCache } from 'lru-cache';

export class InstanceTotals {
  /** Bounded: the least recently used total goes first (it would be re-read anyway). */
  private readonly read: LRUCache<string, { value: number; at: number }>;

  constructor(
    private readonly query: (instanceId: string) => number,
    private readonly refreshMs = 1_000,
    private readonly now: () => number = Date.now,
    capacity = 10_000,
  ) {
    this.read = new LRUCache({ max: capacity });
  }

  current(instanceId: string): number {
    const now = this.now();
    let entry = this.read.get(instanceId);
    if (entry === undefined || now - entry.at >= this.refreshMs) {
      entry = { value: this.query(instanceId), at: now };
      this.read.set(instanceId, entry);
    }
    return entry.value;
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
