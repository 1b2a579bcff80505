/**
 * WhatsApp's restriction of a number from starting new chats (the "reach-out
 * timelock"): until when it holds. WhatsApp says so itself (`reachoutTimeLock`
 * on `connection.update`, with an end time or none), or a send fails with 463;
 * then, lacking a time, the restriction lasts a backoff that doubles with each
 * further 463 (retrying into a 463 counts as another reach-out and makes it
 * worse). It ends at its time or when WhatsApp lifts it.
 */
import type { ConnectionState } from 'baileys';

export type ReachoutTimeLock = NonNullable<ConnectionState['reachoutTimeLock']>;

export interface RestrictionOptions {
  /** The end last saved (epoch ms), if any. */
  initial?: number;
  /** Called with the new end, or undefined once lifted. */
  onChange: (until: number | undefined) => void;
  now?: () => number;
  /** The restriction a 463 without a time gives, doubling with each further one. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

/** WhatsApp Web's own assumption when a restriction comes without an end. */
const DEFAULT_LOCK_MS = 60_000;

export class Restriction {
  private until: number | undefined;
  private strikes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: RestrictionOptions) {
    this.now = o.now ?? Date.now;
    // A saved end already past is lifted now (and said so); a future one is armed without a new event.
    this.until = o.initial;
    if (o.initial !== undefined) this.set(o.initial);
  }

  /** The end of the restriction in force, or undefined. */
  get activeUntil(): number | undefined {
    return this.until !== undefined && this.until > this.now() ? this.until : undefined;
  }

  /** WhatsApp's own word on the restriction. */
  fromWhatsApp(lock: ReachoutTimeLock): void {
    if (lock.isActive !== true) {
      this.strikes = 0;
      this.lift();
      return;
    }
    const ends = lock.timeEnforcementEnds?.getTime();
    this.set(ends !== undefined && Number.isFinite(ends) ? ends : this.now() + DEFAULT_LOCK_MS);
  }

  /** A send failed with 463: restricted for a backoff, longer with each 463. */
  after463(): void {
    this.strikes++;
    const first = this.o.firstBackoffMs ?? 15 * 60_000;
    const backoff = Math.min(first * 2 ** (this.strikes - 1), this.o.maxBackoffMs ?? 24 * 3_600_000);
    this.set(Math.max(this.activeUntil ?? 0, this.now() + backoff));
  }

  /** Stops the timer that lifts the restriction at its end (the instance is going away). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(until: number): void {
    this.dispose();
    if (until <= this.now()) {
      this.lift();
      return;
    }
    const changed = until !== this.until;
    this.until = until;
    this.timer = setTimeout(() => this.lift(), until - this.now());
    this.timer.unref();
    if (changed) this.o.onChange(until);
  }

  private lift(): void {
    this.dispose();
    if (this.until === undefined) return;
    this.until = undefined;
    this.o.onChange(undefined);
  }
}
