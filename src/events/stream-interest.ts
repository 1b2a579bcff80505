/**
 * Which instances' events the event log keeps: those streamed (by their own
 * credentials, or all of them by the admin's stream) within the time events
 * are kept, so a dropped client can resume. Read from `event_streams` on every
 * refresh (each node, once a second, and at once when a node signals a new
 * stream); a stream opened on this node counts here from the moment it opens.
 */
import type { Logger } from 'pino';
import { ALL_INSTANCES, type EventLogFilter, type EventLogStatements } from '../store/event-log.js';

/** A local stream counts for this long even if a refresh read the table before its row committed. */
const LOCAL_GRACE_MS = 10_000;

export class StreamInterest implements EventLogFilter {
  private subjects = new Set<string>();
  private readonly local = new Map<string, number>();

  constructor(
    private readonly log: EventLogStatements,
    private readonly keptMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  wants(instanceId: string): boolean {
    return this.subjects.has(ALL_INSTANCES) || this.subjects.has(instanceId);
  }

  /** A stream of `subject` is open on this node: its events are logged from now on. */
  async touch(subject: string): Promise<void> {
    const at = this.now();
    this.local.set(subject, at);
    this.subjects.add(subject);
    await this.log.touchStream(subject, at);
  }

  async refresh(): Promise<void> {
    try {
      const now = this.now();
      const next = new Set(await this.log.streamedSince(now - this.keptMs));
      for (const [subject, at] of this.local) {
        if (now - at < LOCAL_GRACE_MS) next.add(subject);
        else this.local.delete(subject);
      }
      this.subjects = next;
    } catch (err) {
      this.logger.warn({ err }, 'could not read which events are streamed');
    }
  }
}
