/** GET /api/v1/message/{message_id}: status, timestamps, error and timeline. */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Db } from '../../store/database.js';
import { getMessageForInstance, listEvents } from '../../store/messages.js';
import type { EventRow, MessageRow } from '../../store/schema.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const statusSchema = {
  type: 'object',
  properties: {
    message_id: { type: 'string' },
    type: { type: 'string' },
    phone: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'sending', 'sent', 'delivered', 'read', 'failed'] },
    attempts: { type: 'integer' },
    provider_message_id: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    sent_at: nullableTime,
    delivered_at: nullableTime,
    read_at: nullableTime,
    failed_at: nullableTime,
    error: {
      type: ['object', 'null'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    media: {
      type: ['object', 'null'],
      properties: {
        mime: { type: ['string', 'null'] },
        size: { type: ['integer', 'null'] },
        sha256: { type: ['string', 'null'] },
        filename: { type: ['string', 'null'] },
        url: { type: ['string', 'null'] },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          status: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          code: { type: ['string', 'null'] },
          detail: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

function present(m: MessageRow, events: EventRow[]) {
  return {
    message_id: m.id,
    type: m.type,
    phone: m.recipient,
    status: m.status,
    attempts: m.attempts,
    provider_message_id: m.provider_id,
    created_at: new Date(Number(m.created_at)).toISOString(),
    updated_at: new Date(Number(m.updated_at)).toISOString(),
    sent_at: iso(m.sent_at),
    delivered_at: iso(m.delivered_at),
    read_at: iso(m.read_at),
    failed_at: iso(m.failed_at),
    error: m.status === 'failed' && m.error_code !== null ? { code: m.error_code, message: m.error_message ?? '' } : null,
    media: m.media_kind === null ? null : { mime: m.media_mime, size: m.media_size, sha256: m.media_sha256, filename: m.media_filename, url: m.media_url },
    events: [
      { status: 'queued', at: new Date(Number(m.created_at)).toISOString(), code: null, detail: null },
      ...events.map((e) => ({ status: e.kind, at: new Date(Number(e.at)).toISOString(), code: e.code, detail: e.detail })),
    ],
  };
}

export function messageStatusRoutes(app: FastifyInstance, deps: { db: Db; auth: InstanceAuthenticator }): void {
  app.get<{ Params: { message_id: string } }>(
    '/api/v1/message/:message_id',
    {
      onRequest: deps.auth.hook(),
      schema: { response: { 200: statusSchema, '4xx': errorSchema, '5xx': errorSchema } },
    },
    async (request) => {
      const instance = requireInstance(request);
      const id = request.params.message_id;
      const notFound = new ApiError(404, 'message_not_found', 'No message with this message_id exists for this instance');
      if (!UUID.test(id)) throw notFound;
      // Scoped by the authenticated instance: another instance's message is simply not found.
      const message = await getMessageForInstance(deps.db, id.toLowerCase(), instance.id);
      if (message === undefined) throw notFound;
      return present(message, await listEvents(deps.db, message.id));
    },
  );
}
