/**
 * Failed Basic-auth attempts, counted per user_id + client address. Past the
 * threshold that pair is refused with 429 until its window ends, whatever the
 * password: guessing is stopped without locking the user out from elsewhere,
 * and another user is never affected. Only failures are counted, and only
 * credential lookups (cache misses) consult the count, so successful clients
 * pay nothing.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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
}

/** At most this many locked-out answers are held at once; beyond it they go out at once. */
const MAX_HELD = 1024;

export class AuthFailures {
  private readonly counter: RateLimiterMemory | undefined;
  private held = 0;

  constructor(private readonly options: AuthFailureOptions) {
    this.counter = options.maxFailures > 0
      ? new RateLimiterMemory({ points: options.maxFailures, duration: options.windowSeconds, keyPrefix: 'auth' })
      : undefined;
  }

  private static key(user: string, address: string): string {
    return `${user.slice(0, 80)}|${address}`;
  }

  /** Throws 429 when this user_id + address has used up its failures. */
  async check(user: string, address: string): Promise<void> {
    const state = await this.counter?.get(AuthFailures.key(user, address));
    if (state !== null && state !== undefined && state.consumedPoints >= this.options.maxFailures) {
      const refusal = this.locked(state.msBeforeNext);
      if (this.options.lockoutDelayMs > 0 && this.held < MAX_HELD) {
        this.held++;
        await new Promise((resolve) => setTimeout(resolve, this.options.lockoutDelayMs));
        this.held--;
      }
      throw refusal;
    }
  }

  async failed(user: string, address: string): Promise<void> {
    try {
      await this.counter?.consume(AuthFailures.key(user, address));
    } catch (err) {
      if (err instanceof RateLimiterRes) throw this.locked(err.msBeforeNext);
      throw err;
    }
  }

  async succeeded(user: string, address: string): Promise<void> {
    await this.counter?.delete(AuthFailures.key(user, address));
  }

  private locked(msBeforeNext: number): ApiError {
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    return new ApiError(429, 'too_many_auth_failures',
      `Too many failed sign-ins for this user_id from your address; try again in ${seconds} s`,
      undefined, { 'Retry-After': String(seconds) });
  }
}
