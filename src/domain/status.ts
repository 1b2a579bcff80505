/**
 * The life of an outgoing message. Status only moves forward:
 * queued → sending → sent → delivered → read, or → failed from any
 * non-terminal state. Late or duplicate receipts never move it back.
 */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const RANK: Record<MessageStatus, number> = {
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
};

/**
 * Whether `to` may follow `from`. `sending → queued` is the one step back we
 * allow, and only internally: a transient failure puts the message back in the
 * queue for a retry. Receipts may skip steps (read without delivered).
 */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (from === to) return false;
  if (from === 'failed' || from === 'read') return false;
  // A provider may report failure after accepting (sent or delivered).
  if (to === 'failed') return true;
  if (from === 'sending' && to === 'queued') return true;
  return RANK[to] > RANK[from];
}
