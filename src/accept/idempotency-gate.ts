/**
 * Idempotent sends. A request with an `Idempotency-Key` either creates the
 * message (and the key row, in the same commit) or gets the first request's
 * answer: same key + same body → the first `message_id`, nothing new stored;
 * same key + another body → 409. Concurrent requests with one key wait for
 * the first in this process, so they never race to create two messages; the
 * key row's primary key settles a race with another node.
 */
import { ApiError, fieldError } from '../domain/errors.js';
import type { IdempotencyStatements } from '../store/idempotency.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const MAX_KEY_LENGTH = 255;

export interface IdempotencyClaim {
  key: string;
  requestHash: string;
}

/** What creating the message came to: stored, or another request holds the key. */
export type CreateOutcome = { stored: true; messageId: string } | { stored: false };

export interface IdempotentResult {
  messageId: string;
  /** true when this is the answer of an earlier request. */
  replayed: boolean;
}

/** The header's value, checked; undefined when the request has none. */
export function readIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value.join(', ') : value;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e][\x20-\x7e]*$/.test(key)) {
    throw fieldError(
      IDEMPOTENCY_HEADER,
      'invalid_idempotency_key',
      `The ${IDEMPOTENCY_HEADER} header must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID`,
    );
  }
  return key;
}

export class IdempotencyGate {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly statements: IdempotencyStatements,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async run(instanceId: string, claim: IdempotencyClaim, create: (claim: IdempotencyClaim) => Promise<CreateOutcome>): Promise<IdempotentResult> {
    const slot = `${instanceId}\n${claim.key}`;
    // Waiting for a request of this process does not use a turn; only losing
    // the key to another node's commit does (bounded, so this always ends).
    for (let lost = 0; lost < 3;) {
      const row = await this.statements.lookup(instanceId, claim.key, this.now() - this.ttlMs);
      if (row !== undefined) {
        if (row.request_hash !== claim.requestHash) {
          throw new ApiError(
            409,
            'idempotency_key_reused',
            `This ${IDEMPOTENCY_HEADER} was already used for a different request (message ${row.message_id}); use a new key for a new message`,
            [{ field: IDEMPOTENCY_HEADER, code: 'idempotency_key_reused', message: 'already used with a different body' }],
          );
        }
        return { messageId: row.message_id, replayed: true };
      }
      const pending = this.inflight.get(slot);
      if (pending !== undefined) {
        await pending.catch(() => undefined);
        continue;
      }
      const creating = create(claim);
      this.inflight.set(slot, creating);
      try {
        const outcome = await creating;
        if (outcome.stored) return { messageId: outcome.messageId, replayed: false };
        lost++;
      } finally {
        this.inflight.delete(slot);
      }
    }
    throw new ApiError(409, 'idempotency_key_busy', `Another request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly`, undefined, {
      'Retry-After': '1',
    });
  }
}
