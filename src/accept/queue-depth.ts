/**
 * Per-instance queue depth for the accept path, without a count query per
 * request: the database count is taken at most once per `refreshMs` per
 * instance; this node's accepts since then, and the sends it is admitting
 * right now (reserved, not yet committed), are added on top. Reserving before
 * the commit is what keeps a burst of concurrent sends from overshooting.
 */
import { LRUCache } from 'lru-cache';

export class QueueDepth {
  /** Bounded: the least recently used count goes first (it would be re-read anyway). */
  private readonly counted: LRUCache<string, { count: number; at: number }>;
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly count: (instanceId: string) => number,
    private readonly refreshMs = 1_000,
    private readonly now: () => number = Date.now,
    capacity = 10_000,
  ) {
    this.counted = new LRUCache({ max: capacity });
  }

  current(instanceId: string): number {
    const now = this.now();
    let entry = this.counted.get(instanceId);
    if (entry === undefined || now - entry.at >= this.refreshMs) {
      entry = { count: this.count(instanceId), at: now };
      this.counted.set(instanceId, entry);
    }
    return entry.count + (this.reserved.get(instanceId) ?? 0);
  }

  /** Instances whose count is held (for tests and metrics). */
  get size(): number {
    return this.counted.size;
  }

  /** A send is being admitted: it counts from now on. */
  reserve(instanceId: string): void {
    this.reserved.set(instanceId, (this.reserved.get(instanceId) ?? 0) + 1);
  }

  /** The reserved send was stored (`stored`) or refused (not stored). */
  settle(instanceId: string, stored: boolean): void {
    const n = (this.reserved.get(instanceId) ?? 1) - 1;
    if (n > 0) this.reserved.set(instanceId, n);
    else this.reserved.delete(instanceId);
    const entry = this.counted.get(instanceId);
    if (stored && entry !== undefined) entry.count += 1;
  }
}
