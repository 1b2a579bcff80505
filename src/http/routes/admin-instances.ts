/**
 * The admin's view of the instances: every instance with its user and state
 * (newest first, paged), and a new token for an instance (shown once; the old
 * one stops working on every node at once).
 */
import type { FastifyInstance } from 'fastify';
import type { AdminService } from '../../admin/service.js';
import { fieldError } from '../../domain/errors.js';
import type { Engine } from '../../engines/engine.js';
import type { Db } from '../../store/database.js';
import { listInstances } from '../../store/instances.js';
import type { AuthFailures } from '../auth-failures.js';
import { bearerAuthHook } from '../bearer-auth.js';
import { errorSchema } from '../error-handler.js';
import type { InstanceAuthenticator } from '../instance-auth.js';

export interface AdminInstanceRouteDeps {
  admin: AdminService;
  adminToken: string;
  tokenFailures: AuthFailures;
  db: Db;
  auth: InstanceAuthenticator;
  /** Tells the other nodes to drop the credentials they keep in memory. */
  credentialsChanged: () => void;
  engineOf: (name: string) => Engine | undefined;
}

const UUID_PATTERN = '^[0-9a-fA-F-]{36}$';
const CURSOR = /^(\d{1,15})_([0-9a-f-]{36})$/;

const instanceSchema = {
  type: 'object',
  properties: {
    instance_id: { type: 'string' },
    user_id: { type: 'string' },
    user_name: { type: 'string' },
    name: { type: 'string' },
    engine: { type: 'string' },
    state: { type: 'string' },
    phone: { type: ['string', 'null'] },
    created_at: { type: 'string' },
  },
} as const;

export function adminInstanceRoutes(app: FastifyInstance, deps: AdminInstanceRouteDeps): void {
  const onRequest = bearerAuthHook({
    token: deps.adminToken,
    subject: 'admin',
    failures: deps.tokenFailures,
    hint: 'The admin API needs Authorization: Bearer <CONNEXA_ADMIN_TOKEN>',
  });
  const errors = { '4xx': errorSchema, '5xx': errorSchema };

  app.get<{ Querystring: { user_id?: string; limit?: string; cursor?: string } }>(
    '/api/v1/admin/instances',
    {
      onRequest,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            user_id: { type: 'string', pattern: UUID_PATTERN, description: "Only this user's instances" },
            limit: { type: 'string', description: 'Entries per page, 1 to 1000 (default 100)' },
            cursor: { type: 'string', description: 'next_cursor of the previous page' },
          },
        },
        response: {
          200: { type: 'object', properties: { instances: { type: 'array', items: instanceSchema }, next_cursor: { type: ['string', 'null'] } } },
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw fieldError('limit', 'invalid_limit', 'limit must be a whole number from 1 to 1000');
      const m = q.cursor === undefined ? undefined : CURSOR.exec(q.cursor);
      if (m === null) throw fieldError('cursor', 'invalid_cursor', 'cursor must be the next_cursor of a previous page');
      const after: [number, string] | undefined = m === undefined ? undefined : [Number(m[1]), m[2] ?? ''];
      const rows = await listInstances(deps.db, {
        ...(q.user_id !== undefined ? { userId: q.user_id.toLowerCase() } : {}),
        ...(after !== undefined ? { after } : {}),
        limit,
      });
      const last = rows.at(-1);
      return {
        instances: rows.map((r) => ({
          instance_id: r.id,
          user_id: r.user_id,
          user_name: r.user_name,
          name: r.name,
          engine: r.engine,
          // An engine that links no number is connected unless it stored a failure (a Cloud API token refused).
          state: deps.engineOf(r.engine)?.capabilities.linking === true || r.state === 'failed' ? r.state : 'connected',
          phone: r.phone,
          created_at: new Date(r.created_at).toISOString(),
        })),
        next_cursor: rows.length === limit && last !== undefined ? `${last.created_at}_${last.id}` : null,
      };
    },
  );

  app.post<{ Params: { instance_id: string } }>(
    '/api/v1/admin/instances/:instance_id/token',
    {
      onRequest,
      schema: {
        description: 'A new instance_token, shown only in this answer; the old token stops working at once',
        params: { type: 'object', properties: { instance_id: { type: 'string', pattern: UUID_PATTERN } } },
        response: { 200: { type: 'object', properties: { instance_id: { type: 'string' }, instance_token: { type: 'string' } } }, ...errors },
      },
    },
    async (request) => {
      const id = request.params.instance_id.toLowerCase();
      const rotated = await deps.admin.rotateToken(id);
      deps.auth.forgetInstance(id);
      deps.credentialsChanged();
      return rotated;
    },
  );
}
