/**
 * Machine tokens: 256 random bits, a recognisable `cnx_` prefix so secret
 * scanners can find leaked ones, stored only as SHA-256 (a slow KDF adds
 * latency, not security, for random tokens). A presented token is found by
 * the index on its hash: what a lookup's timing could reveal is a prefix of a
 * SHA-256 of 256 random bits, which does not help guess the token.
 */
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'cnx_';

export function generateToken(prefix = TOKEN_PREFIX): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
