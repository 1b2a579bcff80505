/** The admin API: users and instances, behind the admin bearer token. */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { AdminService } from '../../admin/service.js';
import { ApiError } from '../../domain/errors.js';
import type { WhatsAppSessions } from '../../engines/baileys/sessions.js';
import type { Engine } from '../../engines/engine.js';
import type { Db } from '../../store/database.js';
import { deleteInstance, getInstance } from '../../store/instances.js';
import type { InstanceAuthenticator } from '../instance-auth.js';
import { AVAILABLE_ENGINES } from '../../engines/available.js';
import type { AuthFailures } from '../auth-failures.js';
import { bearerAuthHook } from '../bearer-auth.js';
import { errorSchema } from '../error-handler.js';

const UUID_PATTERN = '^[0-9a-fA-F-]{36}$';

export interface AdminRouteDeps {
  admin: AdminService;
  adminToken: string;
  /** Wrong admin tokens, throttled per address. */
  tokenFailures: AuthFailures;
  db: Db;
  sessions: WhatsAppSessions;
  auth: InstanceAuthenticator;
  /** Told after an instance is deleted, so per-instance caches elsewhere let go of it. */
  instanceDeleted: (instanceId: string) => void;
  /** The engine an instance of this engine name runs on (its capabilities decide, never its name). */
  engineOf: (name: string) => Engine | undefined;
  /** Passes calls that reach an instance's socket (QR, deletion's logout) to the node that owns it. */
  forward: preHandlerAsyncHookHandler;
}

export function adminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const onRequest = bearerAuthHook({
    token: deps.adminToken,
    subject: 'admin',
    failures: deps.tokenFailures,
    hint: 'The admin API needs Authorization: Bearer <CONNEXA_ADMIN_TOKEN>',
  });
  const errors = { '4xx': errorSchema, '5xx': errorSchema };

  app.post<{ Body: { name?: unknown } }>(
    '/api/v1/admin/users',
    {
      onRequest,
      schema: {
        body: { type: 'object', properties: { name: { type: 'string' } } },
        response: { 201: { type: 'object', properties: { user_id: { type: 'string' }, name: { type: 'string' } } }, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await deps.admin.createUser(request.body?.name)),
  );

  app.post<{ Params: { user_id: string }; Body: { name?: unknown; engine?: unknown; config?: unknown } }>(
    '/api/v1/admin/users/:user_id/instances',
    {
      onRequest,
      schema: {
        params: { type: 'object', properties: { user_id: { type: 'string', pattern: UUID_PATTERN } } },
        body: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            engine: { type: 'string', description: `One of ${AVAILABLE_ENGINES.join(', ')}` },
            config: {
              type: 'object',
              description:
                'Per-instance settings: {"pacing": {"minGapMs", "jitterMs", "perMinute", "typing"}} for baileys; for cloud {"phone_number_id", "access_token", "app_secret", "verify_token", "graph_url"?, "graph_version"?, "throughput"?}',
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              user_id: { type: 'string' },
              instance_id: { type: 'string' },
              instance_token: { type: 'string' },
              name: { type: 'string' },
              engine: { type: 'string' },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const created = await deps.admin.createInstance(request.params.user_id.toLowerCase(), request.body?.name, request.body?.engine, request.body?.config);
      return reply.code(201).send(created);
    },
  );

  // Deleting an instance logs its WhatsApp number out and wipes its session keys.
  app.delete<{ Params: { instance_id: string } }>(
    '/api/v1/admin/instances/:instance_id',
    {
      onRequest,
      preHandler: deps.forward,
      schema: { params: { type: 'object', properties: { instance_id: { type: 'string', pattern: UUID_PATTERN } } }, response: errors },
    },
    async (request, reply) => {
      const id = request.params.instance_id.toLowerCase();
      const instance = await getInstance(deps.db, id);
      if (instance === undefined) throw new ApiError(404, 'instance_not_found', 'No instance with this instance_id exists');
      // The token stops working first; then the number is logged out and everything else goes.
      await deleteInstance(deps.db, id);
      deps.auth.forgetInstance(id);
      if (deps.engineOf(instance.engine)?.capabilities.linking === true) await deps.sessions.logout(id);
      deps.sessions.forget(id);
      deps.instanceDeleted(id);
      return reply.code(204).send();
    },
  );

  // Replaces some of an instance's settings (a cloud instance's access token, say); secrets are never returned.
  app.patch<{ Params: { instance_id: string }; Body: { config?: unknown } }>(
    '/api/v1/admin/instances/:instance_id',
    {
      onRequest,
      preHandler: deps.forward,
      schema: {
        params: { type: 'object', properties: { instance_id: { type: 'string', pattern: UUID_PATTERN } } },
        body: {
          type: 'object',
          properties: {
            config: {
              type: 'object',
              description: 'Cloud API settings to replace: access_token, app_secret, verify_token, phone_number_id, graph_url, graph_version, throughput',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              instance_id: { type: 'string' },
              engine: { type: 'string' },
              config: {
                type: 'object',
                properties: {
                  phone_number_id: { type: 'string' },
                  graph_url: { type: 'string' },
                  graph_version: { type: 'string' },
                  throughput: { type: 'integer' },
                  updated_at: { type: 'string' },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => deps.admin.updateConfig(request.params.instance_id.toLowerCase(), request.body?.config),
  );

  // The link state of an instance, with its current QR code: what `connexa instance qr` follows.
  app.get<{ Params: { instance_id: string } }>(
    '/api/v1/admin/instances/:instance_id/link',
    {
      onRequest,
      preHandler: deps.forward,
      schema: {
        params: { type: 'object', properties: { instance_id: { type: 'string', pattern: UUID_PATTERN } } },
        response: {
          200: {
            type: 'object',
            properties: {
              state: { type: 'string' },
              reason: { type: ['string', 'null'] },
              phone: { type: ['string', 'null'] },
              qr: { type: ['object', 'null'], properties: { code: { type: 'string' }, expires_at: { type: 'string' } } },
            },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const id = request.params.instance_id.toLowerCase();
      const instance = await getInstance(deps.db, id);
      if (instance === undefined) throw new ApiError(404, 'instance_not_found', 'No instance with this instance_id exists');
      if (deps.engineOf(instance.engine)?.capabilities.linking !== true)
        throw new ApiError(409, 'linking_not_supported', `A ${instance.engine} instance needs no linking`);
      const session = await deps.sessions.ensure(id);
      if (['disconnected', 'failed', 'logged_out'].includes(session.current.state)) session.start();
      const snap = session.current;
      return {
        state: snap.state,
        reason: snap.reason ?? null,
        phone: snap.phone ?? null,
        qr: snap.qr === undefined || snap.state !== 'qr' ? null : { code: snap.qr.code, expires_at: new Date(snap.qr.expiresAt).toISOString() },
      };
    },
  );
}
