/**
 * How far the event log can be read without missing an event: the horizon.
 * Ids are handed out when a transaction inserts, and on PostgreSQL several
 * transactions commit out of id order, so a reader that moved past a missing id
 * could skip an event committed a moment later. The horizon therefore stops
 * at the first missing id and waits for it, for `gapGraceMs` (an id whose
 * transaction rolled back never appears). SQLite commits one transaction at a
 * time in id order: no wait (`gapGraceMs` 0). The log is polled only while
 * someone listens; the first listener starts at the newest id (on PostgreSQL
 * an event whose transaction is still open then is seen only by clients that
 * resume from an id below it).
 */
import type { Logger } from 'pino';
import type { EventLogStatements } from '../store/event-log.js';

export interface EventFeedOptions {
  pollMs: number;
  gapGraceMs: number;
  now?: () => number;
}

const IDS_PER_POLL = 2000;

export class EventFeed {
  private horizon: number | undefined;
  private gap: { after: number; since: number } | undefined;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly now: () => number;

  constructor(
    private readonly log: EventLogStatements,
    private readonly options: EventFeedOptions,
    private readonly logger: Logger,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The highest id up to which every event can be read (events written from now on lie beyond it). */
  async current(): Promise<number> {
    if (this.horizon === undefined) {
      const id = await this.log.lastId();
      this.horizon ??= id;
    }
    return this.horizon;
  }

  /** Calls `fn` each time the horizon moves; returns the way to stop. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    this.timer ??= setInterval(() => void this.poll(), this.options.pollMs);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
        // Unwatched, the horizon goes stale: the next listener starts from the log's newest event.
        this.horizon = undefined;
        this.gap = undefined;
      }
    };
  }

  /** Looks for new events once (the timer calls it; tests may too). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const from = await this.current();
      const next = this.advance(from, await this.log.idsAfter(from, IDS_PER_POLL));
      if (next > from && this.horizon !== undefined && next > this.horizon) {
        this.horizon = next;
        for (const fn of this.listeners) fn();
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not read the event log');
    } finally {
      this.polling = false;
    }
  }

  private advance(from: number, ids: number[]): number {
    let horizon = from;
    for (const id of ids) {
      if (id !== horizon + 1) {
        const now = this.now();
        if (this.gap === undefined || this.gap.after !== horizon) this.gap = { after: horizon, since: now };
        if (now - this.gap.since < this.options.gapGraceMs) return horizon;
        this.gap = undefined;
      }
      horizon = id;
    }
    return horizon;
  }
}
