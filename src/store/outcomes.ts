/**
 * What happened to each attempt. An attempt is counted (and the message shown
 * as `sending`) before the engine is called, so a message that crashes the
 * process every time still runs out of attempts instead of blocking its lane.
 * A sent or failed message leaves the outbox and its stored file goes once
 * that has committed; every status change writes its timeline event in the
 * same transaction. Status only moves forward: a retry keeps the message `sending`.
 */
import type { Store, Tx } from './database.js';
import type { MediaSpool } from './media-spool.js';
import { StatusTransitions } from './status-transitions.js';
import type { WebhookOutboxStatements } from './webhook-outbox.js';

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

const COUNT_ATTEMPT = `UPDATE outbox SET attempts = ? WHERE message_id = ?`;
const NOTE_ERROR = `UPDATE messages SET error_code = ?, error_message = ?, updated_at = ? WHERE id = ? AND status = 'sending'`;
const DELETE_OUTBOX = `DELETE FROM outbox WHERE message_id = ?`;
// Where versions before the media spool kept files.
const DELETE_MEDIA = `DELETE FROM media WHERE message_id = ?`;
const DELETE_MEDIA_PARTS = `DELETE FROM media_parts WHERE message_id = ?`;
const REFUND_OUTBOX = `UPDATE outbox SET attempts = attempts - 1 WHERE message_id = ? AND attempts > 0`;
// The attempt given back, the message is queued again (it was `sending`).
const REFUND_MESSAGE = `UPDATE messages SET attempts = attempts - 1, status = CASE status WHEN 'sending' THEN 'queued' ELSE status END, updated_at = ?
  WHERE id = ? AND attempts > 0`;

export class OutcomeStatements {
  private readonly status: StatusTransitions;

  constructor(
    private readonly store: Store,
    webhooks?: WebhookOutboxStatements,
    private readonly spool?: MediaSpool,
  ) {
    this.status = new StatusTransitions(webhooks);
  }

  /** `beginInTx` in a transaction of its own. */
  begin(starts: readonly AttemptStart[]): Promise<void> {
    return this.store.writeTx(false, (tx) => this.beginInTx(tx, starts));
  }

  /** Counts attempts about to be made. */
  async beginInTx(tx: Tx, starts: readonly AttemptStart[]): Promise<void> {
    for (const a of starts) {
      await tx.run(COUNT_ATTEMPT, [a.attempt, a.messageId]);
      await this.status.sending(tx, a.messageId, a.attempt, a.at);
    }
  }

  /** `recordInTx` in a transaction of its own. */
  record(outcomes: readonly Outcome[]): Promise<void> {
    return this.store.writeTx(false, (tx) => this.recordInTx(tx, outcomes));
  }

  /** Records what attempts came to. */
  async recordInTx(tx: Tx, outcomes: readonly Outcome[]): Promise<void> {
    const left: string[] = [];
    for (const o of outcomes) {
      switch (o.kind) {
        case 'sent':
          await this.status.sent(tx, o.messageId, o.at, o.providerId);
          left.push(o.messageId);
          break;
        case 'retry':
          await tx.run(NOTE_ERROR, [o.code, o.reason, o.at, o.messageId]);
          await this.status.note(tx, o.messageId, 'retry_scheduled', o.at, o.code, `${o.reason} (next attempt at ${new Date(o.runAt).toISOString()})`);
          break;
        case 'failed':
          await this.status.failed(tx, o.messageId, o.code, o.reason, o.at);
          left.push(o.messageId);
          break;
        case 'waiting':
          if (o.refund) {
            await tx.run(REFUND_OUTBOX, [o.messageId]);
            await tx.run(REFUND_MESSAGE, [o.at, o.messageId]);
          }
          await this.status.note(tx, o.messageId, 'waiting', o.at, o.code, o.reason);
          break;
      }
    }
    await this.leaveQueue(tx, left);
  }

  /** Messages sent or failed leave the outbox; their files go after the commit. */
  private async leaveQueue(tx: Tx, messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    for (const id of messageIds) {
      await tx.run(DELETE_OUTBOX, [id]);
      await tx.run(DELETE_MEDIA, [id]);
      await tx.run(DELETE_MEDIA_PARTS, [id]);
    }
    const spool = this.spool;
    if (spool !== undefined) tx.afterCommit(() => spool.discard(messageIds));
  }
}
