/**
 * Idempotency keys of sends. The key row is written in the same durable
 * transaction as the message it names (messages.ts), so a key can never point
 * at a message that was not stored, nor a stored message lose its key.
 */
import type { Store } from './database.js';

/** Keys are honoured at least this long (the contract promises 24 h). */
export const MIN_IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;

export interface IdempotencyRow {
  request_hash: string;
  message_id: string;
}

export class IdempotencyStatements {
  private readonly find;
  private readonly prune;

  constructor(private readonly store: Store) {
    const s = store.sqlite;
    this.find = s.prepare<[string, string, number], IdempotencyRow>(
      `SELECT request_hash, message_id FROM idempotency_keys WHERE instance_id = ? AND key = ? AND created_at >= ?`,
    );
    this.prune = s.prepare<[number]>(`DELETE FROM idempotency_keys WHERE created_at < ?`);
  }

  /** The live row for this key (created at or after `notBefore`), if any. */
  lookup(instanceId: string, key: string, notBefore: number): IdempotencyRow | undefined {
    return this.find.get(instanceId, key, notBefore);
  }

  /** Forgets keys created before `before`; returns how many. */
  pruneBefore(before: number): Promise<number> {
    return this.store.writeTx(false, () => this.prune.run(before).changes);
  }
}
