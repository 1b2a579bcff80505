/** GET /api/v1/messages/inbound: messages people sent to the linked number, newest first. */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ApiError, CodedError } from '../../domain/errors.js';
import { sanitizeFilename } from '../../media/filename.js';
import type { InboundRow } from '../../store/schema.js';
import { inboundMediaPath, type WhatsAppStatements } from '../../store/whatsapp.js';
import { errorSchema } from '../error-handler.js';
import { nextCursor, pageQuerySchema, parsePage } from '../paging.js';
import { requireInstance, type AuthenticatedInstance, type InstanceAuthenticator } from '../instance-auth.js';

/** Fetches a received file of an instance from where its engine keeps it (`stored`: what the message row kept for that). */
export type InstanceMediaDownloader = (instance: AuthenticatedInstance, stored: Buffer, refreshed: (stored: Buffer) => Promise<void>) => Promise<Readable>;

const t = { type: ['string', 'null'] } as const;

function present(r: InboundRow) {
  return {
    id: r.id,
    provider_message_id: r.provider_id,
    from: r.from_jid,
    phone: r.phone,
    name: r.push_name,
    group: r.group_jid,
    participant: r.participant,
    type: r.type,
    text: r.text,
    media: r.media_mime === null ? null : { mime: r.media_mime, size: r.media_size, filename: r.media_filename, download_url: inboundMediaPath(r.id) },
    sent_at: new Date(Number(r.sent_at)).toISOString(),
    received_at: new Date(Number(r.received_at)).toISOString(),
  };
}

export function inboundRoutes(
  app: FastifyInstance,
  deps: { statements: WhatsAppStatements; auth: InstanceAuthenticator; download: InstanceMediaDownloader },
): void {
  app.get<{ Params: { id: string } }>(
    '/api/v1/messages/inbound/:id/media',
    {
      onRequest: deps.auth.hook(),
      schema: { response: { '4xx': errorSchema, '5xx': errorSchema } },
    },
    async (request, reply) => {
      const instance = requireInstance(request);
      const id = Number(request.params.id);
      const media = Number.isSafeInteger(id) ? await deps.statements.inboundMedia(instance.id, id) : undefined;
      if (media === undefined) throw new ApiError(404, 'media_not_found', 'No received media message with this id for this instance');
      let file: Readable;
      try {
        file = await deps.download(instance, media.proto, (fresh) => deps.statements.refreshInboundMedia(instance.id, id, fresh));
      } catch (err) {
        if (err instanceof CodedError)
          throw new ApiError(err.code === 'instance_not_connected' ? 409 : 502, err.code, err.message, undefined, { 'Retry-After': '10' });
        throw err;
      }
      const name = sanitizeFilename(media.filename ?? '') ?? `media-${id}`;
      return reply
        .header('content-type', media.mime ?? 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${name.replace(/["\\]/g, '_')}"`)
        .header('cache-control', 'private, no-store')
        .send(file);
    },
  );

  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/api/v1/messages/inbound',
    {
      onRequest: deps.auth.hook(),
      schema: {
        querystring: pageQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              messages: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    provider_message_id: { type: 'string' },
                    from: { type: 'string' },
                    phone: t,
                    name: t,
                    group: t,
                    participant: t,
                    type: { type: 'string' },
                    text: t,
                    sent_at: { type: 'string' },
                    received_at: { type: 'string' },
                    media: { type: ['object', 'null'], properties: { mime: t, size: { type: ['integer', 'null'] }, filename: t, download_url: t } },
                  },
                },
              },
              next_cursor: t,
            },
          },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => {
      const instance = requireInstance(request);
      const { limit, before } = parsePage(request.query);
      const rows = await deps.statements.listInbound(instance.id, before, limit);
      return { messages: rows.map(present), next_cursor: nextCursor(rows, limit) };
    },
  );
}
