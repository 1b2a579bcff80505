/**
 * The fingerprint of a send request that an idempotency key is bound to: the
 * message type and the body with its keys sorted, so a retry that serialises
 * the same JSON in another order is still "the same request".
 */
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';

export function requestHash(type: string, body: unknown): string {
  return createHash('sha256').update(type).update('\n').update(stringify(body) ?? 'null').digest('base64url');
}
