/**
 * The dispatcher's queue in the database. Accepted messages are ingested into
 * the outbox behind a cursor; work is then claimed by lane (one instance +
 * recipient): a lane's messages go out one after another in acceptance order,
 * and a head that is backing off holds back the rest of its lane.
 *
 * A lane lock carries the time it was taken or last renewed; a lock older than
 * the lease is treated as abandoned, so a lane can never stay locked forever.
 */
import { DISPATCH_COLUMNS, type DispatchRow } from './schema.js';
import type { Store } from './database.js';

export interface Lane {
  instanceId: string;
  recipient: string;
}

export interface LaneMessage {
  row: DispatchRow;
  /** Attempts already made (0 for a fresh message). */
  attempts: number;
}

export interface ClaimedLane extends Lane {
  messages: LaneMessage[];
}

/** Lets a pass take a newly opened lane at once, while it has room (see `ingestInTx`). */
export interface IngestClaim {
  nodeId: string;
  now: number;
  /** New lanes to take at most. */
  room: number;
  /** Messages handed over per lane at most. */
  perLane: number;
  /** Whether the instance may take one more lane (its share). */
  admit: (instanceId: string) => boolean;
}

export interface Ingested {
  /** Messages taken into the outbox. */
  count: number;
  /** The new lanes taken for this node, with their messages. */
  lanes: ClaimedLane[];
}

export interface LaneRelease {
  lane: Lane;
  /** Set when the lane's head is backing off until then. */
  runAt: number | undefined;
}

/** A message that waited longer than the queue's time to live, and its lane. */
export interface ExpiredMessage {
  messageId: string;
  lane: Lane;
}

export class OutboxStatements {
  private readonly cursor;
  private readonly newMessages;
  private readonly insertOutbox;
  private readonly openLane;
  private readonly moveCursor;
  private readonly dueLanes;
  private readonly lockLane;
  private readonly renewLane;
  private readonly laneHead;
  private readonly delay;
  private readonly closeLane;
  private readonly unlockLane;
  private readonly releaseAll;
  private readonly expire;
  private readonly renewAll;
  private readonly expired;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.cursor = s.prepare<[], { seq: number }>(`SELECT seq FROM dispatch_cursor WHERE name = 'outbox'`);
    // With the columns a send needs: a message that opens a lane may be handed over at once.
    this.newMessages = s.prepare<[number, number], DispatchRow & { seq: number; created_at: number }>(
      `SELECT seq, created_at, ${DISPATCH_COLUMNS.join(', ')} FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.insertOutbox = s.prepare(`INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts) VALUES (?, ?, ?, ?, 0)`);
    this.openLane = s.prepare(
      `INSERT INTO lanes (instance_id, recipient, run_at) VALUES (?, ?, ?) ON CONFLICT (instance_id, recipient) DO NOTHING`,
    );
    this.moveCursor = s.prepare(
      `INSERT INTO dispatch_cursor (name, seq) VALUES ('outbox', ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
    );
    // Instances already working as many lanes as their engine is worth are skipped (a JSON array).
    this.dueLanes = s.prepare<[number, string, number], { instance_id: string; recipient: string }>(
      `SELECT instance_id, recipient FROM lanes
       WHERE locked_by IS NULL AND run_at <= ? AND instance_id NOT IN (SELECT value FROM json_each(?))
       ORDER BY run_at LIMIT ?`,
    );
    this.lockLane = s.prepare(
      `UPDATE lanes SET locked_by = ?, locked_at = ? WHERE instance_id = ? AND recipient = ? AND locked_by IS NULL`,
    );
    this.renewLane = s.prepare(`UPDATE lanes SET locked_at = ? WHERE instance_id = ? AND recipient = ?`);
    // Only the columns a send needs: materialising a row costs per column.
    this.laneHead = s.prepare<[string, string, number], DispatchRow & { outbox_attempts: number }>(
      `SELECT ${DISPATCH_COLUMNS.map((c) => `m.${c}`).join(', ')}, o.attempts AS outbox_attempts
       FROM outbox o JOIN messages m ON m.seq = o.seq
       WHERE o.instance_id = ? AND o.recipient = ? ORDER BY o.seq LIMIT ?`,
    );
    this.delay = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL, run_at = ? WHERE instance_id = ? AND recipient = ?`);
    this.closeLane = s.prepare(
      `DELETE FROM lanes WHERE instance_id = ? AND recipient = ?
         AND NOT EXISTS (SELECT 1 FROM outbox WHERE instance_id = ? AND recipient = ?)`,
    );
    this.unlockLane = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE instance_id = ? AND recipient = ?`);
    this.releaseAll = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by IS NOT NULL`);
    this.expire = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by IS NOT NULL AND locked_at < ?`);
    this.renewAll = s.prepare(`UPDATE lanes SET locked_at = ? WHERE locked_by = ?`);
    // Only lanes nobody is working: a message in hand is never expired under its sender.
    this.expired = s.prepare<[number, number], { message_id: string; instance_id: string; recipient: string }>(
      `SELECT o.message_id, o.instance_id, o.recipient FROM outbox o
       JOIN messages m ON m.seq = o.seq
       JOIN lanes l ON l.instance_id = o.instance_id AND l.recipient = o.recipient
       WHERE m.created_at < ? AND l.locked_by IS NULL LIMIT ?`,
    );
  }

  /**
   * Runs `fn` in one write transaction (not durable). The dispatcher composes
   * the `...InTx` methods here and in OutcomeStatements (built on the same
   * store) so that one pass costs one commit.
   */
  transaction<T>(fn: () => T): Promise<T> {
    return this.store.writeTx(false, fn);
  }

  /** `ingestInTx` in a transaction of its own. */
  async ingest(limit: number): Promise<number> {
    return (await this.transaction(() => this.ingestInTx(limit))).count;
  }

  /**
   * Takes newly accepted messages into the outbox and their lanes, in
   * acceptance order, moving the cursor in the same transaction so each
   * message is taken exactly once, across crashes too.
   *
   * With `claim`, a message that opens a lane (none of its recipient's
   * messages was waiting) takes the lane for this node at once, as a claim
   * would have, while there is room and its instance is admitted; later
   * messages of that lane in the batch join it. The caller passes `claim`
   * only once no older lane is due, so new lanes never go ahead of waiting ones.
   * Call inside a write transaction.
   */
  ingestInTx(limit: number, claim?: IngestClaim): Ingested {
    const after = this.cursor.get()?.seq ?? 0;
    const rows = this.newMessages.all(after, limit);
    const taken = new Map<string, ClaimedLane>();
    for (const { seq, created_at, ...row } of rows) {
      this.insertOutbox.run(row.id, row.instance_id, row.recipient, seq);
      const key = `${row.instance_id}\n${row.recipient}`;
      const mine = taken.get(key);
      if (mine !== undefined) {
        if (mine.messages.length < (claim?.perLane ?? 0)) mine.messages.push({ row, attempts: 0 });
        continue;
      }
      const opened = this.openLane.run(row.instance_id, row.recipient, created_at).changes === 1;
      if (opened && claim !== undefined && taken.size < claim.room && claim.admit(row.instance_id)) {
        this.lockLane.run(claim.nodeId, claim.now, row.instance_id, row.recipient);
        taken.set(key, { instanceId: row.instance_id, recipient: row.recipient, messages: [{ row, attempts: 0 }] });
      }
    }
    const last = rows[rows.length - 1];
    if (last !== undefined) this.moveCursor.run(last.seq);
    return { count: rows.length, lanes: [...taken.values()] };
  }

  /**
   * Locks up to `limit` due lanes for this node, oldest first, and takes the
   * first messages of each, leaving out the instances in `busy` and the lanes
   * `admit` turns down (left as they are). Call inside a write transaction.
   */
  claimInTx(
    nodeId: string, now: number, limit: number, perLane: number,
    busy: readonly string[] = [], admit: (instanceId: string) => boolean = () => true,
  ): ClaimedLane[] {
    const lanes: ClaimedLane[] = [];
    for (const l of this.dueLanes.all(now, JSON.stringify(busy), limit)) {
      if (!admit(l.instance_id)) continue;
      if (this.lockLane.run(nodeId, now, l.instance_id, l.recipient).changes !== 1) continue;
      const lane = { instanceId: l.instance_id, recipient: l.recipient };
      lanes.push({ ...lane, messages: this.take(lane, perLane) });
    }
    return lanes;
  }

  /** The next messages of a lane this node holds, renewing its lock. */
  takeFromLane(lane: Lane, now: number, limit: number): Promise<LaneMessage[]> {
    return this.transaction(() => {
      this.renewLane.run(now, lane.instanceId, lane.recipient);
      return this.take(lane, limit);
    });
  }

  private take(lane: Lane, limit: number): LaneMessage[] {
    return this.laneHead.all(lane.instanceId, lane.recipient, limit).map(({ outbox_attempts, ...row }) => ({ row, attempts: outbox_attempts }));
  }

  /**
   * Gives lanes back. A lane whose head is backing off sleeps until `runAt`;
   * an empty lane is removed; any other is unlocked for the next claim.
   * Call inside a write transaction.
   */
  releaseInTx(releases: readonly LaneRelease[]): void {
    for (const { lane, runAt } of releases) {
      if (runAt !== undefined) {
        this.delay.run(runAt, lane.instanceId, lane.recipient);
      } else if (this.closeLane.run(lane.instanceId, lane.recipient, lane.instanceId, lane.recipient).changes === 0) {
        this.unlockLane.run(lane.instanceId, lane.recipient);
      }
    }
  }

  /**
   * Messages accepted before `acceptedBefore` and still waiting, in lanes no
   * one holds (at most `limit`). Call inside a write transaction, and fail
   * them in it.
   */
  expiredInTx(acceptedBefore: number, limit: number): ExpiredMessage[] {
    return this.expired.all(acceptedBefore, limit).map((r) => ({ messageId: r.message_id, lane: { instanceId: r.instance_id, recipient: r.recipient } }));
  }

  /**
   * At start, every lane lock is from a previous life of this process: the
   * embedded store has exactly one dispatcher, so all of them are released.
   */
  releaseAllLocks(): Promise<number> {
    return this.store.writeTx(false, () => this.releaseAll.run().changes);
  }

  /** Renews every lock this node holds: lanes waiting on pacing are still in hand. */
  renewLocks(nodeId: string, now: number): Promise<number> {
    return this.store.writeTx(false, () => this.renewAll.run(now, nodeId).changes);
  }

  /** Frees locks not renewed since `before` (a lane whose release was lost). */
  expireLocks(before: number): Promise<number> {
    return this.store.writeTx(false, () => this.expire.run(before).changes);
  }
}
