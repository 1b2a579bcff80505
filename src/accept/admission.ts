/**
 * Whether a send may be accepted now: the instance's queue has room and the
 * instance is within its send rate. Both refusals are 429 with Retry-After;
 * neither stores anything. Pacing (how fast WhatsApp sees messages) is a
 * separate, later step: this only bounds what clients can pile up.
 */
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ApiError } from '../domain/errors.js';
import { InstanceTotals } from './instance-totals.js';
import type { QueueDepth } from './queue-depth.js';

export interface AdmissionOptions {
  /** Sends accepted per instance per second; 0 turns the limit off. */
  ratePerSecond: number;
  /** Messages waiting per instance before sends are refused; 0 turns the limit off. */
  queueMax: number;
  /** Retry-After of a queue_full answer, in seconds. */
  queueFullRetryAfterS: number;
  /** Bytes of media that may wait per instance; 0 turns the limit off. */
  mediaQueueMaxBytes?: number;
  /** Bytes of media stored for an instance's waiting messages (a database sum; read at most once a second per instance). */
  mediaWaiting?: (instanceId: string) => Promise<number>;
  /** Builds the send-rate limiter (a cluster: counted in the database, for every node); this process's memory by default. */
  limiter?: (o: { keyPrefix: string; points: number; durationS: number }) => RateLimiterAbstract;
}

export class Admission {
  private readonly rate: RateLimiterAbstract | undefined;
  private readonly media: InstanceTotals | undefined;

  constructor(
    private readonly depth: QueueDepth,
    private readonly options: AdmissionOptions,
    now: () => number = Date.now,
  ) {
    this.media = options.mediaWaiting !== undefined ? new InstanceTotals(options.mediaWaiting, 1_000, now) : undefined;
    const limiter = options.limiter ?? ((o) => new RateLimiterMemory({ keyPrefix: o.keyPrefix, points: o.points, duration: o.durationS }));
    this.rate = options.ratePerSecond > 0 ? limiter({ keyPrefix: 'send', points: options.ratePerSecond, durationS: 1 }) : undefined;
  }

  /**
   * Admits one send or throws a 429. An admitted send holds a place in the
   * queue until `settle` says whether it was stored.
   */
  async admit(instanceId: string): Promise<void> {
    const { queueMax } = this.options;
    if (queueMax > 0) await this.depth.fresh(instanceId);
    // From here to the reservation in one step: the next request sees this one counted.
    if (queueMax > 0 && this.depth.current(instanceId) >= queueMax) {
      throw new ApiError(429, 'queue_full', `This instance already has ${queueMax} messages waiting to be sent; retry once some have gone out`, undefined, {
        'Retry-After': String(this.options.queueFullRetryAfterS),
      });
    }
    this.depth.reserve(instanceId);
    if (this.rate === undefined) return;
    try {
      await this.rate.consume(instanceId);
    } catch (err) {
      this.depth.settle(instanceId, false);
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new ApiError(429, 'rate_limited', `Too many sends: this instance accepts at most ${this.options.ratePerSecond} per second`, undefined, {
        'Retry-After': String(Math.max(1, Math.ceil(err.msBeforeNext / 1000))),
      });
    }
  }

  /**
   * An uploaded file of `bytes` may join the instance's queue, or 429: the
   * files already waiting there would pass the per-instance limit.
   */
  async admitMedia(instanceId: string, bytes: number): Promise<void> {
    const max = this.options.mediaQueueMaxBytes ?? 0;
    if (max <= 0 || this.media === undefined) return;
    await this.media.fresh(instanceId);
    const waiting = this.media.current(instanceId);
    if (waiting + bytes > max) {
      throw new ApiError(
        429,
        'media_queue_full',
        `This instance already has ${Math.round(waiting / 1048576)} MB of media waiting to be sent (at most ${Math.round(max / 1048576)} MB); retry once some has gone out`,
        undefined,
        { 'Retry-After': String(this.options.queueFullRetryAfterS) },
      );
    }
    this.media.add(instanceId, bytes);
  }

  /** The admitted send was stored (it stays counted) or not (its place is freed). */
  settle(instanceId: string, stored: boolean): void {
    this.depth.settle(instanceId, stored);
  }
}
