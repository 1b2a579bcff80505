/**
 * Failed sign-ins, counted per user_id (or `admin`, `metrics`) + client
 * address. Past the threshold, further wrong attempts from that pair are held
 * back (a tarpit) and answered 429 until the window ends. The right
 * credentials always work, whatever the count: behind a proxy many clients
 * share one address, and a stranger who knows a user_id must not be able to
 * lock its owner out. Only failures are counted; successful clients pay
 * nothing.
 *
 * The counts live in a bounded LRU (no timer per entry): a flood of made-up
 * user_ids costs a fixed amount of memory and pushes out the oldest counts.
 * On a database several nodes share, they live there instead (a guesser
 * spreading attempts over the nodes is counted once).
 * IPv6 clients are counted per /64, the block one subscriber usually holds.
 */
import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from '../domain/errors.js';

export interface AuthFailureOptions {
  /** Failures allowed per user_id + address within the window; 0 turns counting off. */
  maxFailures: number;
  windowSeconds: number;
  /**
   * A locked-out attempt is answered after this delay (a tarpit): a guesser's
   * connections sit idle instead of costing the server a request each.
   */
  lockoutDelayMs: number;
  /** How many user_id + address pairs are tracked at most (in memory). */
  capacity?: number;
  /** Builds a limiter counted where every node sees it (a cluster); this process's memory otherwise. */
  shared?: (o: { keyPrefix: string; points: number; durationS: number }) => RateLimiterAbstract;
}

/** At most this many locked-out answers are held at once; beyond it they go out at once. */
const MAX_HELD = 1024;

/** The part of a client address that identifies one client: IPv4 as is, IPv6 by its /64. */
export function clientKey(address: string): string {
  try {
    const ip = ipaddr.parse(address);
    if (ip.kind() === 'ipv4') return ip.toString();
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return `${v6.parts
      .slice(0, 4)
      .map((p) => p.toString(16))
      .join(':')}::/64`;
  } catch {
    return address;
  }
}

export class AuthFailures {
  private readonly counts: LRUCache<string, { failures: number }> | undefined;
  private readonly shared: RateLimiterAbstract | undefined;
  private held = 0;

  constructor(private readonly options: AuthFailureOptions) {
    const counting = options.maxFailures > 0;
    this.shared = counting ? options.shared?.({ keyPrefix: 'auth', points: options.maxFailures, durationS: options.windowSeconds }) : undefined;
    this.counts =
      counting && this.shared === undefined
        ? new LRUCache({ max: options.capacity ?? 100_000, ttl: options.windowSeconds * 1000, ttlAutopurge: false })
        : undefined;
  }

  private static key(user: string, address: string): string {
    return `${user.slice(0, 80)}|${clientKey(address)}`;
  }

  /**
   * A wrong attempt from this user_id + address: counted, and answered with
   * `wrong` (401) while under the threshold; past it, after the tarpit delay,
   * with 429 and Retry-After.
   */
  async refuse(user: string, address: string, wrong: ApiError): Promise<ApiError> {
    const msLocked = await this.count(AuthFailures.key(user, address));
    if (msLocked === undefined) return wrong;
    const refusal = this.locked(msLocked);
    if (this.options.lockoutDelayMs > 0 && this.held < MAX_HELD) {
      this.held++;
      await new Promise((resolve) => setTimeout(resolve, this.options.lockoutDelayMs));
      this.held--;
    }
    return refusal;
  }

  /** Counts one failure; resolves to how long the pair stays locked out, or undefined while under the threshold. */
  private async count(key: string): Promise<number | undefined> {
    if (this.shared !== undefined) {
      try {
        await this.shared.consume(key);
        return undefined;
      } catch (err) {
        if (err instanceof RateLimiterRes) return err.msBeforeNext;
        throw err;
      }
    }
    if (this.counts === undefined) return undefined;
    const entry = this.counts.get(key);
    // The window runs from the first failure: later ones do not extend it.
    if (entry === undefined) this.counts.set(key, { failures: 1 });
    else entry.failures += 1;
    if ((entry?.failures ?? 1) <= this.options.maxFailures) return undefined;
    return this.counts.getRemainingTTL(key);
  }

  /** Pairs currently tracked (in memory). */
  get size(): number {
    return this.counts?.size ?? 0;
  }

  private locked(msBeforeNext: number): ApiError {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return new ApiError(
      429,
      'too_many_auth_failures',
      `Too many failed sign-ins with these credentials from your address; wrong ones are refused for ${seconds} s (the right ones still work)`,
      undefined,
      { 'Retry-After': String(seconds) },
    );
  }
}
