/**
 * The pace Cloud API tolerates, kept on our side so that its limits are rare
 * events rather than the control loop (reference: cloud-api.md, "Limits"):
 *
 * - A number's throughput: sends of one number start one by one, fewer than
 *   `perSecond` in each second, with 2.5% kept back for the jitter between
 *   our clock and Meta's counting. A 130429 holds the whole number back a second.
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

/**
 * One number's sends, one at a time in call order, by their actual start
 * times: fewer than `perSecond / 1.025` start in each 1000 ms (a sliding
 * window, so no calendar second Meta counts sees more), and none closer than
 * half the even spacing to the previous one. A timer that fires late (a busy
 * event loop) lets the sends due meanwhile catch up only within the window.
 */
export class Throughput {
  /** Actual start times of the latest sends, oldest first (at most the window's size). */
  private readonly starts: number[] = [];
  private holdUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number's throughput changed (its settings were replaced). */
  set rate(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** Resolves when this send may start. */
  turn(signal?: AbortSignal): Promise<void> {
    const mine = this.queue.then(() => this.wait(signal));
    this.queue = mine.catch(() => undefined);
    return mine;
  }

  /** Meta said the number is over its throughput: nothing starts for `ms`. */
  holdBack(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, this.now() + ms);
  }

  /** The earliest time the next send may start. */
  private nextAt(): number {
    const size = Math.max(1, Math.floor(this.perSecond / MARGIN));
    while (this.starts.length > size) this.starts.shift();
    const last = this.starts.at(-1) ?? Number.NEGATIVE_INFINITY;
    const windowFree = this.starts.length < size ? Number.NEGATIVE_INFINITY : (this.starts[0] ?? 0) + 1000;
    return Math.max(windowFree, last + (500 * MARGIN) / this.perSecond, this.holdUntil);
  }

  private async wait(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (stopped(signal)) throw signal?.reason;
      const at = this.nextAt();
      const now = this.now();
      if (now >= at) {
        this.starts.push(now);
        return;
      }
      try {
        await sleep(at - now, undefined, signal === undefined ? {} : { signal });
      } catch (err) {
        // A stopping gateway: the waiting send ends with the stop's own reason (the dispatcher knows it, no attempt is spent).
        throw stopped(signal) ? signal?.reason : err;
      }
    }
  }
}

/** Read afresh each time (an await may have passed since the last look). */
function stopped(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
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
