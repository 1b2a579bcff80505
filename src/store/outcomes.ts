/**
 * What happened to each attempt. An attempt is counted (and the message shown
 * as `sending`) before the engine is called, so a message that crashes the
 * process every time still runs out of attempts instead of blocking its lane.
 * A sent or failed message leaves the outbox and its stored file goes once
 * that has committed;
 * every status change writes its timeline event in the same transaction.
 * Status only moves forward: a retry keeps the message `sending`.
 */
import type { Store } from './database.js';
import type { MediaSpool } from './media-spool.js';
import { StatusTransitions } from './status-transitions.js';
import type { WebhookOutbox } from './webhook-outbox.js';

export interface AttemptStart {
  messageId: string;
  /** 1 for the first attempt. */
  attempt: number;
  at: number;
}

export type Outcome =
  | { kind: 'sent'; messageId: string; providerId: string; at: number }
  | { kind: 'retry'; messageId: string; code: string; reason: string; at: number; runAt: number }
  | { kind: 'failed'; messageId: string; code: string; reason: string; at: number }
  /**
   * The instance cannot send now (its number is not connected, or not to this
   * recipient before `runAt`): the message waits for it. `refund` gives back
   * an attempt counted for a send that found it could not go.
   */
  | { kind: 'waiting'; messageId: string; code: string; reason: string; at: number; refund: boolean; runAt?: number };

export class OutcomeStatements {
  private readonly status: StatusTransitions;
  private readonly countAttempt;
  private readonly noteError;
  private readonly deleteOutbox;
  private readonly deleteMedia;
  private readonly deleteMediaParts;
  private readonly refundOutbox;
  private readonly refundMessage;

  constructor(
    private readonly store: Store,
    webhooks?: WebhookOutbox,
    private readonly spool?: MediaSpool,
  ) {
    this.status = new StatusTransitions(store, webhooks);
    const s = store.sqlite;
    this.countAttempt = s.prepare(`UPDATE outbox SET attempts = ? WHERE message_id = ?`);
    this.noteError = s.prepare(`UPDATE messages SET error_code = ?, error_message = ?, updated_at = ? WHERE id = ? AND status = 'sending'`);
    this.deleteOutbox = s.prepare(`DELETE FROM outbox WHERE message_id = ?`);
    this.deleteMedia = s.prepare(`DELETE FROM media WHERE message_id = ?`);
    this.deleteMediaParts = s.prepare(`DELETE FROM media_parts WHERE message_id = ?`);
    this.refundOutbox = s.prepare(`UPDATE outbox SET attempts = attempts - 1 WHERE message_id = ? AND attempts > 0`);
    // The attempt given back, the message is queued again (it was `sending`).
    this.refundMessage = s.prepare(
      `UPDATE messages SET attempts = attempts - 1, status = CASE status WHEN 'sending' THEN 'queued' ELSE status END, updated_at = ?
       WHERE id = ? AND attempts > 0`,
    );
  }

  /** `beginInTx` in a transaction of its own. */
  begin(starts: readonly AttemptStart[]): Promise<void> {
    return this.store.writeTx(false, () => this.beginInTx(starts));
  }

  /** Counts attempts about to be made. Call inside a write transaction. */
  beginInTx(starts: readonly AttemptStart[]): void {
    for (const a of starts) {
      this.countAttempt.run(a.attempt, a.messageId);
      this.status.sending(a.messageId, a.attempt, a.at);
    }
  }

  /** `recordInTx` in a transaction of its own. */
  record(outcomes: readonly Outcome[]): Promise<void> {
    return this.store.writeTx(false, () => this.recordInTx(outcomes));
  }

  /** Records what attempts came to. Call inside a write transaction. */
  recordInTx(outcomes: readonly Outcome[]): void {
    const left: string[] = [];
    for (const o of outcomes) {
      switch (o.kind) {
        case 'sent':
          this.status.sent(o.messageId, o.at, o.providerId);
          left.push(o.messageId);
          break;
        case 'retry':
          this.noteError.run(o.code, o.reason, o.at, o.messageId);
          this.status.note(o.messageId, 'retry_scheduled', o.at, o.code, `${o.reason} (next attempt at ${new Date(o.runAt).toISOString()})`);
          break;
        case 'failed':
          this.status.failed(o.messageId, o.code, o.reason, o.at);
          left.push(o.messageId);
          break;
        case 'waiting':
          if (o.refund) {
            this.refundOutbox.run(o.messageId);
            this.refundMessage.run(o.at, o.messageId);
          }
          this.status.note(o.messageId, 'waiting', o.at, o.code, o.reason);
          break;
      }
    }
    this.leaveQueue(left);
  }

  /** Messages sent or failed leave the outbox; their files go after the commit. */
  private leaveQueue(messageIds: readonly string[]): void {
    if (messageIds.length === 0) return;
    for (const id of messageIds) {
      this.deleteOutbox.run(id);
      // Where versions before the spool kept files.
      this.deleteMedia.run(id);
      this.deleteMediaParts.run(id);
    }
    const spool = this.spool;
    if (spool !== undefined) this.store.afterCommit(() => spool.discard(messageIds));
  }
}
