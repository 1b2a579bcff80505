/**
 * The dispatcher's view of the database: claim due head-of-line work, record
 * outcomes, apply receipts. Every status change writes its timeline event in
 * the same transaction, and status only moves forward (enforced in the WHERE).
 */
import type { MessageRow } from './schema.js';
import type { Store } from './database.js';

export type Outcome =
  | { kind: 'sent'; messageId: string; providerId: string; at: number }
  | { kind: 'retry'; messageId: string; runAt: number; code: string; reason: string; at: number }
  | { kind: 'failed'; messageId: string; code: string; reason: string; at: number };

export type ReceiptStatus = 'delivered' | 'read' | 'failed';

export interface Receipt {
  messageId: string;
  status: ReceiptStatus;
  at: number;
  code?: string;
  reason?: string;
}

export interface ClaimedMessage {
  row: MessageRow;
  /** 1 for the first attempt. */
  attempt: number;
}

export class OutboxStatements {
  private readonly due;
  private readonly lock;
  private readonly markSending;
  private readonly loadMessage;
  private readonly event;
  private readonly markSent;
  private readonly deleteOutbox;
  private readonly requeue;
  private readonly markQueued;
  private readonly markFailed;
  private readonly receiptDelivered;
  private readonly receiptRead;
  private readonly release;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    // Head of line: nothing earlier for the same recipient is still pending.
    this.due = s.prepare<[number, number], { message_id: string; attempts: number }>(
      `SELECT o.message_id, o.attempts FROM outbox o
       WHERE o.locked_by IS NULL AND o.run_at <= ?
         AND NOT EXISTS (SELECT 1 FROM outbox p
                         WHERE p.instance_id = o.instance_id AND p.recipient = o.recipient AND p.seq < o.seq)
       ORDER BY o.seq LIMIT ?`,
    );
    this.lock = s.prepare(`UPDATE outbox SET locked_by = ?, locked_at = ?, attempts = attempts + 1 WHERE message_id = ? AND locked_by IS NULL`);
    this.markSending = s.prepare(
      `UPDATE messages SET status = 'sending', attempts = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')`,
    );
    this.loadMessage = s.prepare<[string], MessageRow>(`SELECT * FROM messages WHERE id = ?`);
    this.event = s.prepare(`INSERT INTO message_events (message_id, kind, at, code, detail) VALUES (?, ?, ?, ?, ?)`);
    this.markSent = s.prepare(
      `UPDATE messages SET status = 'sent', provider_id = ?, sent_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')`,
    );
    this.deleteOutbox = s.prepare(`DELETE FROM outbox WHERE message_id = ?`);
    this.requeue = s.prepare(`UPDATE outbox SET locked_by = NULL, locked_at = NULL, run_at = ? WHERE message_id = ?`);
    this.markQueued = s.prepare(
      `UPDATE messages SET status = 'queued', error_code = ?, error_message = ?, updated_at = ? WHERE id = ? AND status = 'sending'`,
    );
    this.markFailed = s.prepare(
      `UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, failed_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'sending', 'sent', 'delivered')`,
    );
    this.receiptDelivered = s.prepare(
      `UPDATE messages SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ? AND status IN ('sending', 'sent')`,
    );
    this.receiptRead = s.prepare(
      `UPDATE messages SET status = 'read', read_at = ?, delivered_at = COALESCE(delivered_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('sending', 'sent', 'delivered')`,
    );
    this.release = s.prepare(`UPDATE outbox SET locked_by = NULL, locked_at = NULL WHERE locked_by = ?`);
  }

  /** Locks up to `limit` due head-of-line messages for this node and marks them sending. */
  claim(nodeId: string, now: number, limit: number): Promise<ClaimedMessage[]> {
    return this.store.writeTx(() => {
      const claimed: ClaimedMessage[] = [];
      for (const { message_id, attempts } of this.due.all(now, limit)) {
        if (this.lock.run(nodeId, now, message_id).changes !== 1) continue;
        const attempt = attempts + 1;
        this.markSending.run(attempt, now, message_id);
        this.event.run(message_id, 'sending', now, null, attempt > 1 ? `attempt ${attempt}` : null);
        const row = this.loadMessage.get(message_id);
        if (row !== undefined) claimed.push({ row, attempt });
      }
      return claimed;
    });
  }

  record(outcomes: Outcome[]): Promise<void> {
    return this.store.writeTx(() => {
      for (const o of outcomes) {
        switch (o.kind) {
          case 'sent':
            if (this.markSent.run(o.providerId, o.at, o.at, o.messageId).changes === 1) {
              this.event.run(o.messageId, 'sent', o.at, null, null);
            }
            this.deleteOutbox.run(o.messageId);
            break;
          case 'retry':
            this.requeue.run(o.runAt, o.messageId);
            this.markQueued.run(o.code, o.reason, o.at, o.messageId);
            this.event.run(o.messageId, 'retry_scheduled', o.at, o.code, `${o.reason} (next attempt at ${new Date(o.runAt).toISOString()})`);
            break;
          case 'failed':
            if (this.markFailed.run(o.code, o.reason, o.at, o.at, o.messageId).changes === 1) {
              this.event.run(o.messageId, 'failed', o.at, o.code, o.reason);
            }
            this.deleteOutbox.run(o.messageId);
            break;
        }
      }
    });
  }

  /** Receipts are idempotent: a late or repeated one changes nothing. */
  applyReceipts(receipts: Receipt[]): Promise<void> {
    return this.store.writeTx(() => {
      for (const r of receipts) {
        let changed = false;
        if (r.status === 'delivered') changed = this.receiptDelivered.run(r.at, r.at, r.messageId).changes === 1;
        else if (r.status === 'read') changed = this.receiptRead.run(r.at, r.at, r.at, r.messageId).changes === 1;
        else changed = this.markFailed.run(r.code ?? 'provider_failed', r.reason ?? 'The provider reported a failure', r.at, r.at, r.messageId).changes === 1;
        if (changed) this.event.run(r.messageId, r.status, r.at, r.code ?? null, r.reason ?? null);
      }
    });
  }

  /** On start, work this node had claimed before it stopped becomes claimable again. */
  releaseLocks(nodeId: string): Promise<number> {
    return this.store.writeTx(() => this.release.run(nodeId).changes);
  }
}
