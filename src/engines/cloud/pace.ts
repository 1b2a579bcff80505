/**
 * The pace Cloud API tolerates, kept on our side so that its limits are rare
 * events rather than the control loop (reference: cloud-api.md, "Limits"):
 *
 * - A number's throughput: sends of one number start evenly spaced, at most
 *   `perSecond` in any second, with 2.5% kept back for the jitter between our
 *   clock and Meta's counting. A 130429 holds the whole number back a second.
 * - The pair rate: one message per 6 s to the same person, bursts borrowing
 *   from the future (a bucket of 45 refilled one per 6 s, as Meta describes
 *   it). An empty bucket gives the time the next message may go; a 131056
 *   empties it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';

const MARGIN = 1.025;
export const PAIR_EVERY_MS = 6_000;
export const PAIR_BURST = 45;

/** One number's sends, spaced. */
export class Throughput {
  private next = 0;

  constructor(
    private perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number's throughput changed (its settings were replaced). */
  set rate(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** Resolves when this send may start (its place is taken at once, in call order). */
  async turn(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + (1000 * MARGIN) / this.perSecond;
    if (at <= now) return;
    try {
      await sleep(at - now, undefined, signal === undefined ? {} : { signal });
    } catch (err) {
      // A stopping gateway: the waiting send ends with the stop's own reason (the dispatcher knows it, no attempt is spent).
      throw signal?.aborted === true ? signal.reason : err;
    }
  }

  /** Meta said the number is over its throughput: nothing starts for `ms`. */
  holdBack(ms: number): void {
    this.next = Math.max(this.next, this.now() + ms);
  }
}

/** The pair-rate buckets of every (number, recipient) sent to lately. */
export class PairRate {
  private readonly buckets = new LRUCache<string, { tokens: number; at: number }>({ max: 100_000, ttl: PAIR_EVERY_MS * PAIR_BURST });

  constructor(private readonly now: () => number = Date.now) {}

  private bucket(key: string): { tokens: number; at: number } {
    const at = this.now();
    const b = this.buckets.get(key) ?? { tokens: PAIR_BURST, at };
    b.tokens = Math.min(PAIR_BURST, b.tokens + (at - b.at) / PAIR_EVERY_MS);
    b.at = at;
    this.buckets.set(key, b);
    return b;
  }

  /** Takes `count` messages' worth for `key`; undefined when taken, else the time they will be there. */
  take(key: string, count: number): number | undefined {
    const b = this.bucket(key);
    if (b.tokens >= count) {
      b.tokens -= count;
      return undefined;
    }
    return b.at + Math.ceil((count - b.tokens) * PAIR_EVERY_MS);
  }

  /** Meta said the pair rate is spent: the bucket is empty. */
  spent(key: string): void {
    this.bucket(key).tokens = 0;
  }
}
