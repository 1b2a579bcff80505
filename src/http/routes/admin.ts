/** The admin API: users and instances, behind the admin bearer token. */
import type { FastifyInstance } from 'fastify';
import type { AdminService } from '../../admin/service.js';
import { AVAILABLE_ENGINES } from '../../engines/available.js';
import { adminAuthHook } from '../admin-auth.js';
import { errorSchema } from '../error-handler.js';

const UUID_PATTERN = '^[0-9a-fA-F-]{36}$';

export function adminRoutes(app: FastifyInstance, deps: { admin: AdminService; adminToken: string }): void {
  const onRequest = adminAuthHook(deps.adminToken);
  const errors = { '4xx': errorSchema, '5xx': errorSchema };

  app.post<{ Body: { name?: unknown } }>('/api/v1/admin/users', {
    onRequest,
    schema: {
      body: { type: 'object', properties: { name: { type: 'string' } } },
      response: { 201: { type: 'object', properties: { user_id: { type: 'string' }, name: { type: 'string' } } }, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(await deps.admin.createUser(request.body?.name)));

  app.post<{ Params: { user_id: string }; Body: { name?: unknown; engine?: unknown; config?: unknown } }>('/api/v1/admin/users/:user_id/instances', {
    onRequest,
    schema: {
      params: { type: 'object', properties: { user_id: { type: 'string', pattern: UUID_PATTERN } } },
      body: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          engine: { type: 'string', description: `One of ${AVAILABLE_ENGINES.join(', ')}` },
          config: { type: 'object', description: 'Per-instance settings, e.g. {"pacing": {"minGapMs", "jitterMs", "perMinute", "typing"}}' },
        },
      },
      response: {
        201: {
          type: 'object',
          properties: {
            user_id: { type: 'string' }, instance_id: { type: 'string' }, instance_token: { type: 'string' },
            name: { type: 'string' }, engine: { type: 'string' },
          },
        },
        ...errors,
      },
    },
  }, async (request, reply) => {
    const created = await deps.admin.createInstance(request.params.user_id.toLowerCase(), request.body?.name, request.body?.engine, request.body?.config);
    return reply.code(201).send(created);
  });
}
