/**
 * The one place a message's status changes: the row, its timeline event and
 * its webhook event, written together in the caller's transaction (call these
 * inside `writeTx`). Status only moves forward (see domain/status.ts): each
 * UPDATE names the states it may leave, and a change that did not happen
 * writes no event. The dispatcher's outcomes and the providers' receipts
 * both go through here.
 */
import type { Store } from './database.js';
import type { WebhookOutbox } from './webhook-outbox.js';

/** Timeline entries that are not a status of their own. */
export type TimelineNote = 'retry_scheduled' | 'waiting';

export class StatusTransitions {
  private readonly toSending;
  private readonly toSent;
  private readonly keepProviderId;
  private readonly toDelivered;
  private readonly toRead;
  private readonly toFailed;
  private readonly event;

  constructor(store: Store, private readonly webhooks?: WebhookOutbox) {
    const s = store.sqlite;
    this.toSending = s.prepare(`UPDATE messages SET status = 'sending', attempts = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending')`);
    this.toSent = s.prepare(
      `UPDATE messages SET status = 'sent', provider_id = COALESCE(?, provider_id), sent_at = COALESCE(sent_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('queued', 'sending')`,
    );
    // A receipt may have moved the message past `sent` already; keep the provider id.
    this.keepProviderId = s.prepare(`UPDATE messages SET provider_id = COALESCE(provider_id, ?) WHERE id = ?`);
    this.toDelivered = s.prepare(`UPDATE messages SET status = 'delivered', delivered_at = ?, updated_at = ? WHERE id = ? AND status = 'sent'`);
    this.toRead = s.prepare(
      `UPDATE messages SET status = 'read', read_at = ?, delivered_at = COALESCE(delivered_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('sent', 'delivered')`,
    );
    this.toFailed = s.prepare(
      `UPDATE messages SET status = 'failed', error_code = ?, error_message = ?, failed_at = ?, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'sending', 'sent', 'delivered')`,
    );
    this.event = s.prepare(`INSERT INTO message_events (message_id, kind, at, code, detail) VALUES (?, ?, ?, ?, ?)`);
  }

  /** An attempt starts (`attempt` 1 for the first): the message is `sending`, each attempt on its timeline. */
  sending(messageId: string, attempt: number, at: number): void {
    this.toSending.run(attempt, at, messageId);
    this.event.run(messageId, 'sending', at, null, attempt > 1 ? `attempt ${attempt}` : null);
  }

  /**
   * The provider took the message (with its id), or a receipt shows it did
   * (without). A message already past `sent` keeps its status; the provider
   * id is kept all the same.
   */
  sent(messageId: string, at: number, providerId?: string): boolean {
    if (this.toSent.run(providerId ?? null, at, at, messageId).changes === 1) {
      this.event.run(messageId, 'sent', at, null, null);
      this.webhooks?.message(messageId, 'sent', at);
      return true;
    }
    if (providerId !== undefined) this.keepProviderId.run(providerId, messageId);
    return false;
  }

  delivered(messageId: string, at: number): boolean {
    return this.changed(this.toDelivered.run(at, at, messageId).changes, messageId, 'delivered', at);
  }

  read(messageId: string, at: number): boolean {
    return this.changed(this.toRead.run(at, at, at, messageId).changes, messageId, 'read', at);
  }

  failed(messageId: string, code: string, reason: string, at: number): boolean {
    if (this.toFailed.run(code, reason, at, at, messageId).changes !== 1) return false;
    this.event.run(messageId, 'failed', at, code, reason);
    this.webhooks?.message(messageId, 'failed', at, { code, message: reason });
    return true;
  }

  /** A timeline entry that changes no status. */
  note(messageId: string, kind: TimelineNote, at: number, code: string, detail: string): void {
    this.event.run(messageId, kind, at, code, detail);
  }

  private changed(changes: number, messageId: string, status: 'delivered' | 'read', at: number): boolean {
    if (changes !== 1) return false;
    this.event.run(messageId, status, at, null, null);
    this.webhooks?.message(messageId, status, at);
    return true;
  }
}
