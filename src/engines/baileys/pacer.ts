/**
 * Anti-ban pacing of one WhatsApp number. Fresh numbers that send fast and
 * regular get banned; a person types, pauses and sends a few messages a
 * minute. Sends of an instance go one at a time, at least `minGapMs` plus a
 * random jitter apart, and at most `perMinute` in any 60 s. Waiting is in
 * memory on purpose: it is timing, not work; the work stays in the outbox.
 */
import { CodedError } from '../../domain/errors.js';
import type { PacingSettings } from '../../domain/pacing.js';

export { DEFAULT_PACING, type PacingSettings } from '../../domain/pacing.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** How long "typing…" shows before a text: about 40 ms a character, between 0.5 s and 4 s. */
export function typingMs(text: string | undefined): number {
  return Math.min(4_000, Math.max(500, (text?.length ?? 0) * 40));
}

export class Pacer {
  private queue: Promise<void> = Promise.resolve();
  private last = Number.NEGATIVE_INFINITY;
  private readonly recent: number[] = [];

  constructor(
    private readonly settings: PacingSettings,
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
  ) {}

  get current(): PacingSettings {
    return this.settings;
  }

  /** Resolves when it is this send's turn; sends of one instance take turns in call order. */
  turn(signal?: AbortSignal): Promise<void> {
    const mine = this.queue.then(() => this.wait(signal));
    this.queue = mine.catch(() => undefined);
    return mine;
  }

  private async wait(signal?: AbortSignal): Promise<void> {
    const { minGapMs, jitterMs, perMinute } = this.settings;
    const gapUntil = this.last + minGapMs + Math.floor(this.random() * jitterMs);
    while (this.recent.length > 0 && (this.recent[0] ?? 0) <= this.clock.now() - 60_000) this.recent.shift();
    const windowUntil = this.recent.length >= perMinute ? (this.recent[this.recent.length - perMinute] ?? 0) + 60_000 : 0;
    const delay = Math.max(gapUntil, windowUntil) - this.clock.now();
    if (delay > 0) {
      try {
        await this.clock.sleep(delay, signal);
      } catch (reason) {
        throw reason instanceof CodedError ? reason : new CodedError('pacing_interrupted', "The wait for this number's next send slot was interrupted", true);
      }
    }
    this.last = this.clock.now();
    this.recent.push(this.last);
  }
}
