/**
 * One client's event stream: from its cursor up to the feed's horizon, read
 * from the log a page at a time, and a page is read only once the client has
 * taken the last one (a slow client holds one page, never a backlog). While
 * idle it sends a heartbeat, and it checks now and then that the client's
 * credentials still hold (a rotated token or a deleted instance ends it).
 */
import type { EventLogStatements, LoggedEvent } from '../store/event-log.js';
import type { EventFeed } from './event-feed.js';

export interface EventSink {
  /** Writes a chunk; false when the client's buffer is full (wait for `drained`). */
  write(chunk: string): boolean;
  /** Resolves once the buffer has room again, or the client is gone. */
  drained(): Promise<void>;
}

export interface PumpOptions {
  log: EventLogStatements;
  feed: EventFeed;
  /** One instance's events, or every instance's (the admin's stream). */
  instanceId: string | undefined;
  /** The last id the client has (Last-Event-ID); the feed's horizon when it has none. */
  after: number | undefined;
  sink: EventSink;
  /** Whether the client may still read; false ends the stream. */
  allowed: () => Promise<boolean>;
  recheckMs: number;
  heartbeatMs: number;
  signal: AbortSignal;
}

const PAGE = 200;

/** One server-sent event: the log's id (what Last-Event-ID resumes from), the type, the envelope (JSON has no raw newlines). */
export function frame(e: LoggedEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.body}\n\n`;
}

/** Resolves when the stream ends: `revoked` (credentials no longer valid) or `closed` (the client left or the server stops). */
export async function pumpEvents(o: PumpOptions): Promise<'revoked' | 'closed'> {
  let cursor = o.after ?? (await o.feed.current());
  let wake: (() => void) | undefined;
  // Set when the horizon moves, so a move during a read is not slept through.
  let moved = false;
  const stop = o.feed.subscribe(() => {
    moved = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  o.signal.addEventListener('abort', onAbort);
  let checkedAt = Date.now();
  let wroteAt = Date.now();
  try {
    while (!o.signal.aborted) {
      if (Date.now() - checkedAt >= o.recheckMs) {
        if (!(await o.allowed())) return 'revoked';
        checkedAt = Date.now();
      }
      moved = false;
      const horizon = await o.feed.current();
      if (cursor < horizon) {
        const page = await o.log.read(o.instanceId, cursor, horizon, PAGE);
        cursor = page.length < PAGE ? horizon : (page.at(-1)?.id ?? horizon);
        if (page.length === 0) continue;
        const ok = o.sink.write(page.map(frame).join(''));
        wroteAt = Date.now();
        if (!ok) await o.sink.drained();
        continue;
      }
      if (Date.now() - wroteAt >= o.heartbeatMs) {
        o.sink.write(': keep-alive\n\n');
        wroteAt = Date.now();
      }
      if (moved) continue;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.min(o.heartbeatMs, o.recheckMs));
      });
      clearTimeout(timer);
      wake = undefined;
    }
    return 'closed';
  } finally {
    stop();
    o.signal.removeEventListener('abort', onAbort);
  }
}
