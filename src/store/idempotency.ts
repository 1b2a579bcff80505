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
  constructor(private readonly store: Store) {}

  /** The live row for this key (created at or after `notBefore`), if any. */
  lookup(instanceId: string, key: string, notBefore: number): Promise<IdempotencyRow | undefined> {
    return this.store.db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'message_id'])
      .where('instance_id', '=', instanceId)
      .where('key', '=', key)
      .where('created_at', '>=', notBefore)
      .executeTakeFirst();
  }

  /** Forgets keys created before `before`; returns how many. */
  pruneBefore(before: number): Promise<number> {
    return this.store.writeTx(false, async ({ db }) =>
      Number((await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst()).numDeletedRows),
    );
  }
}
