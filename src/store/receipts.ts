/**
 * Provider receipts (delivered, read, failed) applied to messages. Receipts
 * are idempotent and forward-only: a late or repeated one changes nothing. A
 * receipt can overtake the record of the send itself; delivery implies the
 * message was sent, so the `sent` step is filled in first.
 */
import type { Store } from './database.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export type ReceiptStatus = 'delivered' | 'read' | 'failed';

export interface Receipt {
  messageId: string;
  status: ReceiptStatus;
  at: number;
  code?: string;
  reason?: string;
}

export class ReceiptStatements {
  private readonly impliedSent;
  private readonly delivered;
  private readonly read;
  private readonly failed;
  private readonly event;

  constructor(
    private readonly store: Store,
    private readonly webhooks?: WebhookOutbox,
  ) {
    const s = store.sqlite;
    this.impliedSent = s.prepare(
      `UPDATE messages SET status = 'sent', sent_at = COALESCE(sent_at, ?), updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')`,
    );
    this.delivered = s.prepare(`UPDATE messages SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ? AND status = 'sent'`);
    this.read = s.prepare(
      `UPDATE messages SET status = 'read', read_at = ?, delivered_at = COALESCE(delivered_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('sent', 'delivered')`,
    );
    this.failed = s.prepare(
      `UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, failed_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'sending', 'sent', 'delivered')`,
    );
    this.event = s.prepare(`INSERT INTO message_events (message_id, kind, at, code, detail) VALUES (?, ?, ?, ?, ?)`);
  }

  apply(receipts: Receipt[]): Promise<void> {
    return this.store.writeTx(false, () => {
      for (const r of receipts) {
        if (r.status === 'failed') {
          const code = r.code ?? 'provider_failed';
          const reason = r.reason ?? 'The provider reported that the message could not be delivered';
          if (this.failed.run(code, reason, r.at, r.at, r.messageId).changes === 1) {
            this.event.run(r.messageId, 'failed', r.at, code, reason);
            this.webhooks?.message(r.messageId, 'failed', r.at, { code, message: reason });
          }
          continue;
        }
        if (this.impliedSent.run(r.at, r.at, r.messageId).changes === 1) {
          this.event.run(r.messageId, 'sent', r.at, null, null);
          this.webhooks?.message(r.messageId, 'sent', r.at);
        }
        const changed = r.status === 'delivered'
          ? this.delivered.run(r.at, r.at, r.messageId).changes === 1
          : this.read.run(r.at, r.at, r.at, r.messageId).changes === 1;
        if (changed) {
          this.event.run(r.messageId, r.status, r.at, null, null);
          this.webhooks?.message(r.messageId, r.status, r.at);
        }
      }
    });
  }
}
