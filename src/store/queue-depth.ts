/**
 * How many messages of an instance are waiting to be sent: those in the
 * dispatcher's outbox plus those accepted and not yet taken into it.
 */
import type { Store } from './database.js';
import { ingestFor } from './ingest-sql.js';

export interface QueueSnapshot {
  instance_id: string;
  depth: number;
  /** created_at of the oldest waiting message (ms). */
  oldest: number;
}

// Grouped on the outbox's own index (instance_id first); the oldest waiting
// message is the one with the lowest seq, whose time is one lookup away.
const OUTBOX_GROUPS = `SELECT instance_id, count(*) AS depth, min(seq) AS first FROM outbox GROUP BY instance_id`;
const CREATED_AT = `SELECT created_at FROM messages WHERE seq = ?`;

export class QueueDepthStatements {
  private readonly one: string;
  private readonly media: string;
  private readonly notIngested: string;

  constructor(private readonly store: Store) {
    const waiting = ingestFor(store.dialect).notIngested;
    this.one = `SELECT (SELECT count(*) FROM outbox WHERE instance_id = ?)
      + (SELECT count(*) FROM messages m WHERE ${waiting} AND m.instance_id = ?) AS n`;
    // Bytes of files stored for an instance's waiting messages (inline uploads, and URL files once fetched).
    this.media = `SELECT COALESCE((SELECT sum(m.media_size) FROM outbox o JOIN messages m ON m.id = o.message_id
                      WHERE o.instance_id = ? AND m.media_sha256 IS NOT NULL), 0)
      + COALESCE((SELECT sum(m.media_size) FROM messages m WHERE ${waiting} AND m.instance_id = ? AND m.media_sha256 IS NOT NULL), 0) AS n`;
    this.notIngested = `SELECT m.instance_id, count(*) AS depth, min(m.created_at) AS oldest FROM messages m WHERE ${waiting} GROUP BY m.instance_id`;
  }

  async depth(instanceId: string): Promise<number> {
    return (await this.store.sql.get<{ n: number }>(this.one, [instanceId, instanceId]))?.n ?? 0;
  }

  /** Bytes of media stored for an instance's messages still waiting to be sent. */
  async mediaBytes(instanceId: string): Promise<number> {
    return (await this.store.sql.get<{ n: number }>(this.media, [instanceId, instanceId]))?.n ?? 0;
  }

  /** Every instance with messages waiting. */
  async snapshot(): Promise<QueueSnapshot[]> {
    const byInstance = new Map<string, QueueSnapshot>();
    for (const g of await this.store.sql.all<{ instance_id: string; depth: number; first: number }>(OUTBOX_GROUPS)) {
      const oldest = (await this.store.sql.get<{ created_at: number }>(CREATED_AT, [g.first]))?.created_at ?? Date.now();
      byInstance.set(g.instance_id, { instance_id: g.instance_id, depth: g.depth, oldest });
    }
    for (const q of await this.store.sql.all<QueueSnapshot>(this.notIngested)) {
      const seen = byInstance.get(q.instance_id);
      if (seen === undefined) byInstance.set(q.instance_id, q);
      else byInstance.set(q.instance_id, { instance_id: q.instance_id, depth: seen.depth + q.depth, oldest: Math.min(seen.oldest, q.oldest) });
    }
    return [...byInstance.values()];
  }
}
