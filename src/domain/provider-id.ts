/**
 * The provider message id is derived from our message_id (and the part, for
 * audio whose caption follows as a second message), never random: a resend
 * after a crash carries the same id, and the provider sees the same message.
 */
import { createHash } from 'node:crypto';

export function deriveProviderId(prefix: string, messageId: string, part: number, hexLength = 24): string {
  const digest = createHash('sha256').update(`${messageId}:${part}`).digest('hex');
  return prefix + digest.slice(0, hexLength).toUpperCase();
}
