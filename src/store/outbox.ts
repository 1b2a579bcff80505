/**
 * The dispatcher's view of the database. Work is claimed by lane (one
 * instance + recipient): a lane's messages go out one after another in
 * acceptance order, and a retrying head holds back the rest of its lane.
 * Every status change writes its timeline event in the same transaction, and
 * status only moves forward (enforced in the WHERE clauses).
 */
import { DISPATCH_COLUMNS, type DispatchRow } from './schema.js';
import type { Store } from './database.js';

export interface Lane {
  instanceId: string;
  recipient: string;
}

export type Outcome =
  | { kind: 'sent'; messageId: string; startedAt: number; attempt: number; providerId: string; at: number }
  | { kind: 'retry'; messageId: string; startedAt: number; attempt: number; code: string; reason: string; at: number; runAt: number }
  | { kind: 'failed'; messageId: string; startedAt: number; attempt: number; code: string; reason: string; at: number };

export type ReceiptStatus = 'delivered' | 'read' | 'failed';

export interface Receipt {
  messageId: string;
  status: ReceiptStatus;
  at: number;
  code?: string;
  reason?: string;
}

export interface ClaimedLane extends Lane {
  messages: LaneMessage[];
}

export interface LaneRelease {
  lane: Lane;
  /** Messages taken but not attempted: back to queued. */
  untouched: string[];
  /** Set when the lane's head is backing off until then. */
  runAt: number | undefined;
}

export interface LaneMessage {
  row: DispatchRow;
  /** 1 for the first attempt. */
  attempt: number;
}

export class OutboxStatements {
  private readonly cursor;
  private readonly newMessages;
  private readonly insertOutbox;
  private readonly openLane;
  private readonly moveCursor;
  private readonly dueLanes;
  private readonly lockLane;
  private readonly laneHead;
  private readonly markSending;
  private readonly unmarkSending;
  private readonly event;
  private readonly markSent;
  private readonly deleteOutbox;
  private readonly bumpAttempts;
  private readonly markQueued;
  private readonly markFailed;
  private readonly delay;
  private readonly closeLane;
  private readonly unlockLane;
  private readonly receiptDelivered;
  private readonly receiptRead;
  private readonly release;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.cursor = s.prepare<[], { seq: number }>(`SELECT seq FROM dispatch_cursor WHERE name = 'outbox'`);
    this.newMessages = s.prepare<[number, number], { seq: number; id: string; instance_id: string; recipient: string; created_at: number }>(
      `SELECT seq, id, instance_id, recipient, created_at FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`,
    );
    this.insertOutbox = s.prepare(`INSERT INTO outbox (message_id, instance_id, recipient, seq, attempts) VALUES (?, ?, ?, ?, 0)`);
    this.openLane = s.prepare(
      `INSERT INTO lanes (instance_id, recipient, run_at) VALUES (?, ?, ?) ON CONFLICT (instance_id, recipient) DO NOTHING`,
    );
    this.moveCursor = s.prepare(
      `INSERT INTO dispatch_cursor (name, seq) VALUES ('outbox', ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
    );
    this.dueLanes = s.prepare<[number, number], { instance_id: string; recipient: string }>(
      `SELECT instance_id, recipient FROM lanes WHERE locked_by IS NULL AND run_at <= ? ORDER BY run_at LIMIT ?`,
    );
    this.lockLane = s.prepare(
      `UPDATE lanes SET locked_by = ?, locked_at = ? WHERE instance_id = ? AND recipient = ? AND locked_by IS NULL`,
    );
    // Only the columns a send needs: materialising a row costs per column.
    this.laneHead = s.prepare<[string, string, number], DispatchRow & { outbox_seq: number; outbox_attempts: number }>(
      `SELECT ${DISPATCH_COLUMNS.map((c) => `m.${c}`).join(', ')}, o.seq AS outbox_seq, o.attempts AS outbox_attempts
       FROM outbox o JOIN messages m ON m.seq = o.seq
       WHERE o.instance_id = ? AND o.recipient = ? ORDER BY o.seq LIMIT ?`,
    );
    this.markSending = s.prepare(`UPDATE messages SET status = 'sending', updated_at = ? WHERE seq = ? AND status = 'queued'`);
    this.unmarkSending = s.prepare(`UPDATE messages SET status = 'queued' WHERE id = ? AND status = 'sending'`);
    this.event = s.prepare(`INSERT INTO message_events (message_id, kind, at, code, detail) VALUES (?, ?, ?, ?, ?)`);
    this.markSent = s.prepare(
      `UPDATE messages SET status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END,
         provider_id = ?, sent_at = COALESCE(sent_at, ?), attempts = ?, updated_at = ?
       WHERE id = ? AND status <> 'failed'`,
    );
    this.deleteOutbox = s.prepare(`DELETE FROM outbox WHERE message_id = ?`);
    this.bumpAttempts = s.prepare(`UPDATE outbox SET attempts = ? WHERE message_id = ?`);
    this.markQueued = s.prepare(
      `UPDATE messages SET status = 'queued', error_code = ?, error_message = ?, attempts = ?, updated_at = ? WHERE id = ? AND status = 'sending'`,
    );
    this.markFailed = s.prepare(
      `UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, failed_at = ?, updated_at = ?,
         attempts = MAX(attempts, ?)
       WHERE id = ? AND status IN ('queued', 'sending', 'sent', 'delivered')`,
    );
    this.delay = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL, run_at = ? WHERE instance_id = ? AND recipient = ?`);
    this.closeLane = s.prepare(
      `DELETE FROM lanes WHERE instance_id = ? AND recipient = ?
         AND NOT EXISTS (SELECT 1 FROM outbox WHERE instance_id = ? AND recipient = ?)`,
    );
    this.unlockLane = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE instance_id = ? AND recipient = ?`);
    this.receiptDelivered = s.prepare(
      `UPDATE messages SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ? AND status IN ('sending', 'sent')`,
    );
    this.receiptRead = s.prepare(
      `UPDATE messages SET status = 'read', read_at = ?, delivered_at = COALESCE(delivered_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('sending', 'sent', 'delivered')`,
    );
    this.release = s.prepare(`UPDATE lanes SET locked_by = NULL, locked_at = NULL WHERE locked_by = ?`);
  }

  /**
   * Takes newly accepted messages into the outbox and their lanes, in
   * acceptance order, moving the cursor in the same transaction so each
   * message is taken exactly once, across crashes too. Returns how many.
   */
  ingest(limit: number): Promise<number> {
    return this.store.writeTx(false, () => {
      const after = this.cursor.get()?.seq ?? 0;
      const rows = this.newMessages.all(after, limit);
      for (const m of rows) {
        this.insertOutbox.run(m.id, m.instance_id, m.recipient, m.seq);
        this.openLane.run(m.instance_id, m.recipient, m.created_at);
      }
      const last = rows[rows.length - 1];
      if (last !== undefined) this.moveCursor.run(last.seq);
      return rows.length;
    });
  }

  /** Locks up to `limit` due lanes for this node and takes the first messages of each. */
  claimLanes(nodeId: string, now: number, limit: number, perLane: number): Promise<ClaimedLane[]> {
    return this.store.writeTx(false, () => {
      const lanes: ClaimedLane[] = [];
      for (const l of this.dueLanes.all(now, limit)) {
        if (this.lockLane.run(nodeId, now, l.instance_id, l.recipient).changes !== 1) continue;
        const lane = { instanceId: l.instance_id, recipient: l.recipient };
        lanes.push({ ...lane, messages: this.take(lane, now, perLane) });
      }
      return lanes;
    });
  }

  /** The next messages of a locked lane, in order, marked sending. */
  takeFromLane(lane: Lane, now: number, limit: number): Promise<LaneMessage[]> {
    return this.store.writeTx(false, () => this.take(lane, now, limit));
  }

  private take(lane: Lane, now: number, limit: number): LaneMessage[] {
    return this.laneHead.all(lane.instanceId, lane.recipient, limit).map(({ outbox_seq, outbox_attempts, ...row }) => {
      this.markSending.run(now, outbox_seq);
      return { row, attempt: outbox_attempts + 1 };
    });
  }

  record(outcomes: Outcome[]): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const o of outcomes) {
        this.event.run(o.messageId, 'sending', o.startedAt, null, o.attempt > 1 ? `attempt ${o.attempt}` : null);
        switch (o.kind) {
          case 'sent':
            if (this.markSent.run(o.providerId, o.at, o.attempt, o.at, o.messageId).changes === 1) {
              this.event.run(o.messageId, 'sent', o.at, null, null);
            }
            this.deleteOutbox.run(o.messageId);
            break;
          case 'retry':
            this.bumpAttempts.run(o.attempt, o.messageId);
            this.markQueued.run(o.code, o.reason, o.attempt, o.at, o.messageId);
            this.event.run(o.messageId, 'retry_scheduled', o.at, o.code, `${o.reason} (next attempt at ${new Date(o.runAt).toISOString()})`);
            break;
          case 'failed':
            if (this.markFailed.run(o.code, o.reason, o.at, o.at, o.attempt, o.messageId).changes === 1) {
              this.event.run(o.messageId, 'failed', o.at, o.code, o.reason);
            }
            this.deleteOutbox.run(o.messageId);
            break;
        }
      }
    });
  }

  /**
   * Gives lanes back. A lane whose head is backing off sleeps until `runAt`;
   * unsent messages that were taken go back to queued; an empty lane is removed.
   */
  releaseLanes(releases: LaneRelease[]): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const { lane, untouched, runAt } of releases) {
        for (const id of untouched) this.unmarkSending.run(id);
        if (runAt !== undefined) {
          this.delay.run(runAt, lane.instanceId, lane.recipient);
        } else if (this.closeLane.run(lane.instanceId, lane.recipient, lane.instanceId, lane.recipient).changes === 0) {
          this.unlockLane.run(lane.instanceId, lane.recipient);
        }
      }
    });
  }

  /** Receipts are idempotent: a late or repeated one changes nothing. */
  applyReceipts(receipts: Receipt[]): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const r of receipts) {
        let changed = false;
        if (r.status === 'delivered') changed = this.receiptDelivered.run(r.at, r.at, r.messageId).changes === 1;
        else if (r.status === 'read') changed = this.receiptRead.run(r.at, r.at, r.at, r.messageId).changes === 1;
        else changed = this.markFailed.run(r.code ?? 'provider_failed', r.reason ?? 'The provider reported a failure', r.at, r.at, 0, r.messageId).changes === 1;
        if (changed) this.event.run(r.messageId, r.status, r.at, r.code ?? null, r.reason ?? null);
      }
    });
  }

  /** On start, lanes this node had claimed before it stopped become claimable again. */
  releaseLocks(nodeId: string): Promise<number> {
    return this.store.writeTx(false, () => this.release.run(nodeId).changes);
  }
}
