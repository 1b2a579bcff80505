/**
 * Cloud API's send limits as the fake applies them: a number's throughput
 * (messages per second, 80 by default; over it: 130429) and the pair rate to
 * one recipient (one message per 6 s, bursts borrowing from the future: a
 * bucket of `pairBurst` refilled one per `pairEveryMs`; empty: 131056).
 */
export interface LimitOptions {
  perSecond: number;
  pairEveryMs: number;
  pairBurst: number;
}

export class SendLimits {
  private readonly windows = new Map<string, { second: number; count: number }>();
  private readonly pairs = new Map<string, { tokens: number; at: number }>();

  constructor(
    public options: LimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a send of `phoneNumberId`; false when the number is over its throughput this second. */
  throughput(phoneNumberId: string): boolean {
    const second = Math.floor(this.now() / 1000);
    const w = this.windows.get(phoneNumberId);
    if (w === undefined || w.second !== second) {
      this.windows.set(phoneNumberId, { second, count: 1 });
      return true;
    }
    w.count++;
    return w.count <= this.options.perSecond;
  }

  /** Takes a pair-rate token for `phoneNumberId` → `recipient`; false when none is left. */
  pair(phoneNumberId: string, recipient: string): boolean {
    const key = `${phoneNumberId}>${recipient}`;
    const at = this.now();
    const b = this.pairs.get(key) ?? { tokens: this.options.pairBurst, at };
    b.tokens = Math.min(this.options.pairBurst, b.tokens + (at - b.at) / this.options.pairEveryMs);
    b.at = at;
    this.pairs.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
