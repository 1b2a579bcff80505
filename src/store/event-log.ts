/**
 * The event log: the envelopes an instance reports, appended in the same
 * transaction as the change it reports (see webhook-outbox.ts), read by the
 * live event stream in `id` order and pruned after a while. Only the events
 * someone streams are written: those of instances (or `*`, all) with a row in
 * `event_streams` seen within the time events are kept; writing every event of
 * every instance cost the dispatcher about a quarter of its throughput on
 * SQLite (docs/BENCHMARKS.md, "Event log A/B").
 */
import type { Sql, Store } from './database.js';

/** The subject of a stream of every instance's events. */
export const ALL_INSTANCES = '*';

/** Which instances' events are written to the log (events/stream-interest.ts keeps it). */
export interface EventLogFilter {
  wants(instanceId: string): boolean;
}

export interface LoggedEvent {
  id: number;
  instance_id: string;
  type: string;
  body: string;
}

const APPEND = `INSERT INTO event_log (instance_id, type, body, created_at) VALUES (?, ?, ?, ?)`;
const IDS_AFTER = `SELECT id FROM event_log WHERE id > ? ORDER BY id LIMIT ?`;
const LAST_ID = `SELECT MAX(id) AS id FROM event_log`;
const OF_INSTANCE = `SELECT id, instance_id, type, body FROM event_log WHERE instance_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?`;
const OF_ALL = `SELECT id, instance_id, type, body FROM event_log WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`;
const TOUCH = `INSERT INTO event_streams (subject, seen_at) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET seen_at = excluded.seen_at`;
const STREAMED = `SELECT subject FROM event_streams WHERE seen_at >= ?`;
const PRUNE_STREAMS = `DELETE FROM event_streams WHERE seen_at < ?`;
const PRUNE = `DELETE FROM event_log WHERE id IN (SELECT id FROM event_log WHERE created_at < ? ORDER BY id LIMIT ?)`;

export class EventLogStatements {
  constructor(private readonly store: Store) {}

  /** In the transaction of the change the event reports. */
  static async append(tx: Sql, instanceId: string, type: string, body: string, at: number): Promise<void> {
    await tx.run(APPEND, [instanceId, type, body, at]);
  }

  /** The newest id written (0 when there is none). */
  async lastId(): Promise<number> {
    const row = await this.store.sql.get<{ id: number | string | null }>(LAST_ID);
    return Number(row?.id ?? 0);
  }

  /** The ids after `after`, oldest first (up to `limit`). */
  async idsAfter(after: number, limit: number): Promise<number[]> {
    const rows = await this.store.sql.all<{ id: number | string }>(IDS_AFTER, [after, limit]);
    return rows.map((r) => Number(r.id));
  }

  /** The events after `after` up to `upTo`, of one instance or (`undefined`) of all. */
  async read(instanceId: string | undefined, after: number, upTo: number, limit: number): Promise<LoggedEvent[]> {
    const rows =
      instanceId === undefined
        ? await this.store.sql.all<LoggedEvent>(OF_ALL, [after, upTo, limit])
        : await this.store.sql.all<LoggedEvent>(OF_INSTANCE, [instanceId, after, upTo, limit]);
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** A stream of `subject` (an instance id, or ALL_INSTANCES) is open now. */
  async touchStream(subject: string, at: number): Promise<void> {
    await this.store.writeTx(false, (tx) => tx.run(TOUCH, [subject, at]));
  }

  /** The subjects streamed at or after `since`. */
  async streamedSince(since: number): Promise<string[]> {
    return (await this.store.sql.all<{ subject: string }>(STREAMED, [since])).map((r) => r.subject);
  }

  /** Forgets streams not seen since `before`: their events are no longer written. */
  pruneStreams(before: number): Promise<number> {
    return this.store.writeTx(false, (tx) => tx.run(PRUNE_STREAMS, [before]));
  }

  /** Deletes events written before `before`, a batch at a time; resolves to how many. */
  async pruneBefore(before: number, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.store.writeTx(false, (tx) => tx.run(PRUNE, [before, batch]));
      total += n;
      if (n < batch) return total;
    }
  }
}
