/**
 * Per-instance queue depth for the accept path, without a count query per
 * request: the database count is taken at most once per `refreshMs` per
 * instance; this node's accepts since then, and the sends it is admitting
 * right now (reserved, not yet committed), are added on top. Reserving before
 * the commit is what keeps a burst of concurrent sends from overshooting.
 */
import { InstanceTotals } from './instance-totals.js';

export class QueueDepth {
  private readonly counted: InstanceTotals;
  private readonly reserved = new Map<string, number>();

  constructor(count: (instanceId: string) => Promise<number>, refreshMs = 1_000, now: () => number = Date.now, capacity = 10_000) {
    this.counted = new InstanceTotals(count, refreshMs, now, capacity);
  }

  /** Resolves once the count is recent enough; then read `current` and `reserve` in one step. */
  fresh(instanceId: string): Promise<void> {
    return this.counted.fresh(instanceId);
  }

  current(instanceId: string): number {
    return this.counted.current(instanceId) + (this.reserved.get(instanceId) ?? 0);
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
    if (stored) this.counted.add(instanceId, 1);
  }
}
