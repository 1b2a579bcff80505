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
  private readonly all;

  constructor(store: Store) {
    const s = store.sqlite;
    const cursor = `COALESCE((SELECT seq FROM dispatch_cursor WHERE name = 'outbox'), 0)`;
    this.one = s.prepare<[string, string], { n: number }>(
      `SELECT (SELECT count(*) FROM outbox WHERE instance_id = ?)
            + (SELECT count(*) FROM messages WHERE seq > ${cursor} AND instance_id = ?) AS n`,
    );
    this.all = s.prepare<[], QueueSnapshot>(
      `SELECT instance_id, count(*) AS depth, min(created_at) AS oldest FROM (
         SELECT o.instance_id, m.created_at FROM outbox o JOIN messages m ON m.id = o.message_id
         UNION ALL
         SELECT instance_id, created_at FROM messages WHERE seq > ${cursor}
       ) GROUP BY instance_id`,
    );
  }

  depth(instanceId: string): number {
    return this.one.get(instanceId, instanceId)?.n ?? 0;
  }

  /** Every instance with messages waiting. */
  snapshot(): QueueSnapshot[] {
    return this.all.all();
  }
}
