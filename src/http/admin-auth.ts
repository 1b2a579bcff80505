/** Bearer auth for the admin API, compared in constant time on SHA-256 digests. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';

export function adminAuthHook(adminToken: string) {
  const expected = createHash('sha256').update(adminToken).digest();
  return async (request: FastifyRequest): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const presented = m?.[1];
    if (presented === undefined) {
      throw new ApiError(401, 'unauthorized', 'The admin API needs Authorization: Bearer <CONNEXA_ADMIN_TOKEN>', undefined, { 'WWW-Authenticate': 'Bearer realm="connexa-admin"' });
    }
    const digest = createHash('sha256').update(presented).digest();
    if (!timingSafeEqual(digest, expected)) {
      throw new ApiError(401, 'invalid_credentials', 'The admin token is not valid', undefined, { 'WWW-Authenticate': 'Bearer realm="connexa-admin"' });
    }
  };
}
