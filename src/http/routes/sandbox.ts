/** GET /api/v1/sandbox/messages: what the simulated WhatsApp received, newest first. */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { SandboxInboxStatements } from '../../store/sandbox-inbox.js';
import type { InboxRow } from '../../store/schema.js';
import { errorSchema } from '../error-handler.js';
import { nextCursor, pageQuerySchema, parsePage } from '../paging.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

function present(r: InboxRow) {
  return {
    id: r.id,
    message_id: r.message_id,
    provider_message_id: r.provider_id,
    part: r.part,
    phone: r.recipient,
    type: r.type,
    text: r.text,
    media: r.media_mime === null ? null : { mime: r.media_mime, size: r.media_size, sha256: r.media_sha256, filename: r.media_filename },
    received_at: iso(r.received_at),
    delivered_at: iso(r.delivered_at),
    read_at: iso(r.read_at),
    resends: r.resends,
  };
}

const t = { type: ['string', 'null'] } as const;
const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    message_id: { type: 'string' },
    provider_message_id: { type: 'string' },
    part: { type: 'integer' },
    phone: { type: 'string' },
    type: { type: 'string' },
    text: t,
    media: { type: ['object', 'null'], properties: { mime: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' }, filename: t } },
    received_at: t,
    delivered_at: t,
    read_at: t,
    resends: { type: 'integer' },
  },
} as const;

export function sandboxRoutes(app: FastifyInstance, deps: { inbox: SandboxInboxStatements; auth: InstanceAuthenticator }): void {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/api/v1/sandbox/messages',
    {
      onRequest: deps.auth.hook(),
      schema: {
        querystring: pageQuerySchema,
        response: {
          200: { type: 'object', properties: { messages: { type: 'array', items: entrySchema }, next_cursor: t } },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => {
      const instance = requireInstance(request);
      if (instance.engine !== 'sandbox') {
        throw new ApiError(404, 'not_a_sandbox_instance', 'This instance does not use the sandbox engine, so it has no sandbox inbox');
      }
      const { limit, before } = parsePage(request.query);
      const rows = await deps.inbox.list(instance.id, before, limit);
      return { messages: rows.map(present), next_cursor: nextCursor(rows, limit) };
    },
  );
}
