/**
 * HTTP Basic auth for the contract: username = user_id, password =
 * instance_token. The instance always comes from the credentials, never from
 * the path, query or body. Successful lookups are cached briefly by the whole
 * header value, so a repeat caller costs one map lookup: no decoding, no hash.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { ApiError } from '../domain/errors.js';
import { hashToken } from '../domain/tokens.js';
import type { Db } from '../store/database.js';
import { findInstanceByTokenHash } from '../store/instances.js';
import type { AuthFailures } from './auth-failures.js';

export interface AuthenticatedInstance {
  id: string;
  userId: string;
  engine: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    instance: AuthenticatedInstance | null;
  }
}

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="connexa"' } as const;

function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message, undefined, CHALLENGE);
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null || m[1] === undefined) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class InstanceAuthenticator {
  private readonly cache: LRUCache<string, AuthenticatedInstance>;

  constructor(
    private readonly db: Db,
    private readonly failures: AuthFailures,
    ttlMs = 30_000,
    capacity = 10_000,
  ) {
    this.cache = new LRUCache({ max: capacity, ttl: ttlMs });
  }

  /** `address` is the client's IP: failed attempts are counted per user_id + address. */
  async authenticate(header: string | undefined, address: string): Promise<AuthenticatedInstance> {
    if (header === undefined) {
      throw unauthorized(
        'unauthorized',
        'Authentication required: use HTTP Basic auth with your user_id as the username and your instance_token as the password',
      );
    }
    const hit = this.cache.get(header);
    if (hit !== undefined) return hit;
    const creds = parseBasic(header);
    if (creds === undefined) {
      throw unauthorized('unauthorized', 'The Authorization header must be HTTP Basic with user_id:instance_token');
    }
    const tokenHash = hashToken(creds.password);
    // The lookup is by hash of a 256-bit random token, so its timing reveals nothing useful.
    const row = await findInstanceByTokenHash(this.db, tokenHash);
    if (row === undefined || row.user_id !== creds.user) {
      throw await this.failures.refuse(creds.user, address, unauthorized('invalid_credentials', 'The user_id and instance_token do not match an instance'));
    }
    const instance = { id: row.id, userId: row.user_id, engine: row.engine };
    this.cache.set(header, instance);
    return instance;
  }

  /** Whether the credentials still name the instance, read from the database (long-lived streams: a rotated token or a deleted instance ends them). */
  async stillHolds(header: string, instanceId: string): Promise<boolean> {
    const creds = parseBasic(header);
    if (creds === undefined) return false;
    const row = await findInstanceByTokenHash(this.db, hashToken(creds.password));
    return row !== undefined && row.id === instanceId && row.user_id === creds.user;
  }

  /** Forgets every cached credential (another node of a cluster deleted an instance). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** Forgets cached credentials of an instance (deleted, or its token rotated). */
  forgetInstance(instanceId: string): void {
    const keys = [...this.cache.entries()].filter(([, v]) => v.id === instanceId).map(([k]) => k);
    for (const k of keys) this.cache.delete(k);
  }

  /** A Fastify onRequest hook that authenticates and sets `request.instance`. */
  hook() {
    return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      request.instance = await this.authenticate(request.headers.authorization, request.ip);
    };
  }
}

export function requireInstance(request: FastifyRequest): AuthenticatedInstance {
  if (request.instance === null) throw new Error('route is missing the instance auth hook');
  return request.instance;
}
