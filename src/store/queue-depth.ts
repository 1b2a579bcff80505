/**
 * How many messages of an instance are waiting to be sent: those in the
 * dispatcher's outbox plus those accepted and not yet taken into it.
 */
import type { Store } from './database.js';

export interface QueueSnapshot {
  instance_id: string;
  depth: number;
  /** created_at of the oldest waiting message (ms). */
  oldest: number;
}

export class QueueDepthStatements {
  private readonly one;
  private readonly outboxGroups;
  private readonly createdAt;
  private readonly notIngested;
  private readonly media;

  constructor(store: Store) {
    const s = store.sqlite;
    const cursor = `COALESCE((SELECT seq FROM dispatch_cursor WHERE name = 'outbox'), 0)`;
    this.one = s.prepare<[string, string], { n: number }>(
      `SELECT (SELECT count(*) FROM outbox WHERE instance_id = ?)
            + (SELECT count(*) FROM messages WHERE seq > ${cursor} AND instance_id = ?) AS n`,
    );
    // Grouped on the outbox's own index (instance_id first); the oldest waiting
    // message is the one with the lowest seq, whose time is one rowid lookup away.
    this.outboxGroups = s.prepare<[], { instance_id: string; depth: number; first: number }>(
      `SELECT instance_id, count(*) AS depth, min(seq) AS first FROM outbox GROUP BY instance_id`,
    );
    this.createdAt = s.prepare<[number], { created_at: number }>(`SELECT created_at FROM messages WHERE seq = ?`);
    // Bytes of files stored for an instance's waiting messages (inline uploads, and URL files once fetched).
    this.media = s.prepare<[string, string], { n: number }>(
      `SELECT COALESCE((SELECT sum(m.media_size) FROM outbox o JOIN messages m ON m.id = o.message_id
                        WHERE o.instance_id = ? AND m.media_sha256 IS NOT NULL), 0)
            + COALESCE((SELECT sum(media_size) FROM messages WHERE seq > ${cursor} AND instance_id = ? AND media_sha256 IS NOT NULL), 0) AS n`,
    );
    this.notIngested = s.prepare<[], QueueSnapshot>(
      `SELECT instance_id, count(*) AS depth, min(created_at) AS oldest FROM messages WHERE seq > ${cursor} GROUP BY instance_id`,
    );
  }

  depth(instanceId: string): number {
    return this.one.get(instanceId, instanceId)?.n ?? 0;
  }

  /** Bytes of media stored for an instance's messages still waiting to be sent. */
  mediaBytes(instanceId: string): number {
    return this.media.get(instanceId, instanceId)?.n ?? 0;
  }

  /** Every instance with messages waiting. */
  snapshot(): QueueSnapshot[] {
    const byInstance = new Map<string, QueueSnapshot>();
    for (const g of this.outboxGroups.all()) {
      const oldest = this.createdAt.get(g.first)?.created_at ?? Date.now();
      byInstance.set(g.instance_id, { instance_id: g.instance_id, depth: g.depth, oldest });
    }
    for (const q of this.notIngested.all()) {
      const seen = byInstance.get(q.instance_id);
      if (seen === undefined) byInstance.set(q.instance_id, q);
      else byInstance.set(q.instance_id, { instance_id: q.instance_id, depth: seen.depth + q.depth, oldest: Math.min(seen.oldest, q.oldest) });
    }
    return [...byInstance.values()];
  }
}
