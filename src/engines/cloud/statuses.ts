/**
 * Meta's message statuses as Connexa receipts: `sent`, `delivered`, `read`
 * (and `played`, a voice note listened to, as `read`) move the message
 * forward; `failed` after a 200 fails it with the Connexa code of Meta's
 * error (131047 → `outside_customer_window`, …) and Meta's reason. Applied
 * in the order they happen whatever order they arrived in; the receipts are
 * forward-only, so a status applied twice changes nothing.
 */
import type { Receipt } from '../../store/receipts.js';
import type { MatchedStatus } from '../../store/cloud.js';
import { mappingOf } from './graph-error.js';

const RANK: Record<string, number> = { sent: 0, delivered: 1, read: 2, played: 2, failed: 3 };

/** The statuses Meta sends that Connexa knows (others, e.g. `deleted`, are kept but change nothing). */
export function isKnownStatus(status: string): boolean {
  return RANK[status] !== undefined;
}

export function receiptsOf(statuses: MatchedStatus[]): Receipt[] {
  return statuses
    .filter((s) => isKnownStatus(s.status))
    .sort((a, b) => (RANK[a.status] ?? 0) - (RANK[b.status] ?? 0))
    .flatMap((s): Receipt[] => {
      if (s.status !== 'failed')
        return [{ messageId: s.message_id, status: s.status === 'played' ? 'read' : (s.status as 'sent' | 'delivered' | 'read'), at: s.at }];
      const code = s.error_code ?? 0;
      // A wamid exists only once Graph took the message: it was sent, then failed (even when this status beats the send's outcome).
      return [
        { messageId: s.message_id, status: 'sent', at: s.at },
        {
          messageId: s.message_id,
          status: 'failed',
          at: s.at,
          code: mappingOf(code, 400).code,
          reason: `Cloud API error ${code}: ${s.error_reason ?? 'the message could not be delivered'}`,
        },
      ];
    });
}
