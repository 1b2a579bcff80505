/**
 * The queue's time to live: messages still unsent that long after they were
 * accepted, in lanes no one is working, fail `expired`, each with its
 * webhook event, and their lanes are given back, all in one transaction.
 */
import type { OutboxStatements } from '../store/outbox.js';
import type { OutcomeStatements } from '../store/outcomes.js';

/** Fails up to `limit` messages accepted more than `ttlMs` before `at`; resolves to how many. */
export async function expireOld(outbox: OutboxStatements, results: OutcomeStatements, ttlMs: number, at: number, limit: number): Promise<number> {
  const expired = await outbox.transaction(async (tx) => {
    const found = await outbox.expiredInTx(tx, at - ttlMs, limit);
    await results.recordInTx(
      tx,
      found.map(({ messageId }) => ({
        kind: 'failed' as const,
        messageId,
        code: 'expired',
        at,
        reason: `Not sent within ${Math.round(ttlMs / 1000)} s of being accepted (CONNEXA_QUEUE_TTL_S)`,
      })),
    );
    await outbox.releaseInTx(
      tx,
      found.map(({ lane }) => ({ lane, runAt: undefined })),
    );
    return found;
  });
  return expired.length;
}
