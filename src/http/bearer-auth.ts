/**
 * Bearer-token auth for the admin API and /metrics: compared in constant time
 * on SHA-256 digests, wrong tokens throttled per client address like failed
 * sign-ins (the right token always works).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { AuthFailures } from './auth-failures.js';

export interface BearerOptions {
  token: string;
  /** Names the token in errors and throttling (`admin`, `metrics`). */
  subject: string;
  /** What a request without a token is told. */
  hint: string;
  failures: AuthFailures;
}

export function bearerAuthHook(o: BearerOptions) {
  const expected = createHash('sha256').update(o.token).digest();
  const challenge = { 'WWW-Authenticate': `Bearer realm="connexa-${o.subject}"` };
  return async (request: FastifyRequest): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const presented = m?.[1];
    if (presented === undefined) throw new ApiError(401, 'unauthorized', o.hint, undefined, challenge);
    const digest = createHash('sha256').update(presented).digest();
    if (!timingSafeEqual(digest, expected)) {
      throw await o.failures.refuse(
        o.subject,
        request.ip,
        new ApiError(401, 'invalid_credentials', `The ${o.subject} token is not valid`, undefined, challenge),
      );
    }
  };
}
