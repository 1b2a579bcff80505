/**
 * Bytes of media waiting per instance, for the accept path's media cap,
 * without a sum query per upload (the sum runs over every waiting message of
 * the instance): the database is read at most once per `refreshMs` per
 * instance, and the files this node admitted since are added on top.
 */
import { LRUCache } from 'lru-cache';

export class MediaWaiting {
  private readonly read: LRUCache<string, { bytes: number; at: number }>;

  constructor(
    private readonly sum: (instanceId: string) => number,
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
      entry = { bytes: this.sum(instanceId), at: now };
      this.read.set(instanceId, entry);
    }
    return entry.bytes;
  }

  /** A file was admitted: it counts until the next read of the database. */
  add(instanceId: string, bytes: number): void {
    const entry = this.read.get(instanceId);
    if (entry !== undefined) entry.bytes += bytes;
  }
}
