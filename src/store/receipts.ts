/**
 * Provider receipts (delivered, read, failed) applied to messages. Receipts
 * are idempotent and forward-only: a late or repeated one changes nothing. A
 * receipt can overtake the record of the send itself; delivery implies the
 * message was sent, so the `sent` step is filled in first.
 */
import type { Store } from './database.js';
import { StatusTransitions } from './status-transitions.js';
import type { WebhookOutboxStatements } from './webhook-outbox.js';

/** `sent`: the provider reports the message on its way (Cloud API); it fills the step in, nothing more. */
export type ReceiptStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface Receipt {
  messageId: string;
  status: ReceiptStatus;
  at: number;
  code?: string;
  reason?: string;
}

export class ReceiptStatements {
  private readonly status: StatusTransitions;

  constructor(
    private readonly store: Store,
    webhooks?: WebhookOutboxStatements,
  ) {
    this.status = new StatusTransitions(webhooks);
  }

  apply(receipts: Receipt[]): Promise<void> {
    return this.store.writeTx(false, async (tx) => {
      for (const r of receipts) {
        if (r.status === 'failed') {
          await this.status.failed(
            tx,
            r.messageId,
            r.code ?? 'provider_failed',
            r.reason ?? 'The provider reported that the message could not be delivered',
            r.at,
          );
          continue;
        }
        await this.status.sent(tx, r.messageId, r.at);
        if (r.status === 'sent') continue;
        if (r.status === 'delivered') await this.status.delivered(tx, r.messageId, r.at);
        else await this.status.read(tx, r.messageId, r.at);
      }
    });
  }
}
