/**
 * The URL to register at Meta for a `cloud` instance:
 * `GET /api/v1/cloud/{instance_id}/webhook` answers the verification
 * handshake, `POST` takes signed notifications. No instance credentials:
 * Meta proves itself with the verify token and the signature, checked over
 * the raw bytes (so the body is kept as bytes here, never re-serialised).
 */
import type { FastifyInstance } from 'fastify';
import type { CloudInbound } from '../../engines/cloud/inbound.js';
import { ApiError } from '../../domain/errors.js';
import { errorSchema } from '../error-handler.js';

const UUID_PATTERN = '^[0-9a-fA-F-]{36}$';
/** Meta batches up to a thousand updates in one notification. */
const BODY_LIMIT = 4 * 1024 * 1024;
const params = { type: 'object', properties: { instance_id: { type: 'string', pattern: UUID_PATTERN } } } as const;
const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;

export function cloudWebhookRoutes(app: FastifyInstance, deps: { inbound: CloudInbound }): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));
    // An unknown instance is answered before its body is read.
    scope.addHook('onRequest', async (request) => {
      const id = (request.params as { instance_id?: string }).instance_id?.toLowerCase() ?? '';
      if (!/^[0-9a-f-]{36}$/.test(id) || !(await deps.inbound.knows(id))) {
        throw new ApiError(404, 'instance_not_found', 'No cloud instance with this instance_id exists');
      }
    });

    scope.get<{ Params: { instance_id: string }; Querystring: Record<string, string | undefined> }>(
      '/api/v1/cloud/:instance_id/webhook',
      { schema: { params, response: errors } },
      async (request, reply) => {
        const q = request.query;
        const challenge = await deps.inbound.handshake(request.params.instance_id.toLowerCase(), q['hub.mode'], q['hub.verify_token'], q['hub.challenge']);
        return reply.header('content-type', 'text/plain; charset=utf-8').send(challenge);
      },
    );

    scope.post<{ Params: { instance_id: string }; Body: Buffer | undefined }>(
      '/api/v1/cloud/:instance_id/webhook',
      { bodyLimit: BODY_LIMIT, schema: { params, response: errors } },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = request.headers['x-hub-signature-256'];
        await deps.inbound.receive(request.params.instance_id.toLowerCase(), raw, typeof signature === 'string' ? signature : undefined);
        return reply.code(200).send({ ok: true });
      },
    );
  });
}
