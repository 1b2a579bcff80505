/**
 * The one place a message's status changes: the row, its timeline event and
 * its webhook event, written together in the caller's transaction. Status
 * only moves forward (see domain/status.ts): each UPDATE names the states it
 * may leave, and a change that did not happen writes no event. The
 * dispatcher's outcomes and the providers' receipts both go through here.
 */
import type { Sql } from './database.js';
import type { WebhookOutboxStatements } from './webhook-outbox.js';

/** Timeline entries that are not a status of their own. */
export type TimelineNote = 'retry_scheduled' | 'waiting';

const TO_SENDING = `UPDATE messages SET status = 'sending', attempts = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')`;
const TO_SENT = `UPDATE messages SET status = 'sent', provider_id = COALESCE(?, provider_id), sent_at = COALESCE(sent_at, ?), updated_at = ?
  WHERE id = ? AND status IN ('queued', 'sending')`;
// A receipt may have moved the message past `sent` already; keep the provider id.
const KEEP_PROVIDER_ID = `UPDATE messages SET provider_id = COALESCE(provider_id, ?) WHERE id = ?`;
const TO_DELIVERED = `UPDATE messages SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ? AND status = 'sent'`;
const TO_READ = `UPDATE messages SET status = 'read', read_at = ?, delivered_at = COALESCE(delivered_at, ?), updated_at = ?
  WHERE id = ? AND status IN ('sent', 'delivered')`;
const TO_FAILED = `UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, failed_at = ?, updated_at = ?
  WHERE id = ? AND status IN ('queued', 'sending', 'sent', 'delivered')`;
const EVENT = `INSERT INTO message_events (message_id, kind, at, code, detail) VALUES (?, ?, ?, ?, ?)`;

export class StatusTransitions {
  constructor(private readonly webhooks?: WebhookOutboxStatements) {}

  /** An attempt starts (`attempt` 1 for the first): the message is `sending`, each attempt on its timeline. */
  async sending(tx: Sql, messageId: string, attempt: number, at: number): Promise<void> {
    await tx.run(TO_SENDING, [attempt, at, messageId]);
    await tx.run(EVENT, [messageId, 'sending', at, null, attempt > 1 ? `attempt ${attempt}` : null]);
  }

  /**
   * The provider took the message (with its id), or a receipt shows it did
   * (without). A message already past `sent` keeps its status; the provider
   * id is kept all the same.
   */
  async sent(tx: Sql, messageId: string, at: number, providerId?: string): Promise<boolean> {
    if ((await tx.run(TO_SENT, [providerId ?? null, at, at, messageId])) === 1) {
      await tx.run(EVENT, [messageId, 'sent', at, null, null]);
      await this.webhooks?.message(tx, messageId, 'sent', at);
      return true;
    }
    if (providerId !== undefined) await tx.run(KEEP_PROVIDER_ID, [providerId, messageId]);
    return false;
  }

  async delivered(tx: Sql, messageId: string, at: number): Promise<boolean> {
    return this.changed(tx, await tx.run(TO_DELIVERED, [at, at, messageId]), messageId, 'delivered', at);
  }

  async read(tx: Sql, messageId: string, at: number): Promise<boolean> {
    return this.changed(tx, await tx.run(TO_READ, [at, at, at, messageId]), messageId, 'read', at);
  }

  async failed(tx: Sql, messageId: string, code: string, reason: string, at: number): Promise<boolean> {
    if ((await tx.run(TO_FAILED, [code, reason, at, at, messageId])) !== 1) return false;
    await tx.run(EVENT, [messageId, 'failed', at, code, reason]);
    await this.webhooks?.message(tx, messageId, 'failed', at, { code, message: reason });
    return true;
  }

  /** A timeline entry that changes no status. */
  async note(tx: Sql, messageId: string, kind: TimelineNote, at: number, code: string, detail: string): Promise<void> {
    await tx.run(EVENT, [messageId, kind, at, code, detail]);
  }

  private async changed(tx: Sql, changes: number, messageId: string, status: 'delivered' | 'read', at: number): Promise<boolean> {
    if (changes !== 1) return false;
    await tx.run(EVENT, [messageId, status, at, null, null]);
    await this.webhooks?.message(tx, messageId, status, at);
    return true;
  }
}
