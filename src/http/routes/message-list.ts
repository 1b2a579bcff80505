/**
 * GET /api/v1/messages: the instance's outgoing messages, newest first, with
 * the fields of the status endpoint (without the timeline). Filters:
 * `status` (one or several, comma-separated), `phone`, `since` (inclusive) and
 * `until` (exclusive) on the time the message was accepted; cursor paging.
 */
import type { FastifyInstance } from 'fastify';
import { fieldError } from '../../domain/errors.js';
import { normalizePhone } from '../../domain/phone.js';
import { MESSAGE_STATUSES, type MessageStatus } from '../../domain/status.js';
import type { Db } from '../../store/database.js';
import { listMessages } from '../../store/messages.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';
import { nextCursor, pageQuerySchema, parsePage } from '../paging.js';
import { messageSchema, presentMessage } from './message-view.js';

interface ListQuery {
  limit?: string;
  cursor?: string;
  status?: string;
  phone?: string;
  since?: string;
  until?: string;
}

function statuses(raw: string | undefined): MessageStatus[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  const unknown = list.find((s) => !(MESSAGE_STATUSES as readonly string[]).includes(s));
  if (unknown !== undefined) {
    throw fieldError(
      'status',
      'invalid_status',
      `status must be one or more of ${MESSAGE_STATUSES.join(', ')} (comma-separated); "${unknown.slice(0, 20)}" is not one`,
    );
  }
  return list as MessageStatus[];
}

function time(raw: string | undefined, field: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw fieldError(field, 'invalid_time', `${field} must be an ISO 8601 time, e.g. 2026-11-29T10:00:00Z`);
  return ms;
}

export function messageListRoutes(app: FastifyInstance, deps: { db: Db; auth: InstanceAuthenticator }): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/messages',
    {
      onRequest: deps.auth.hook(),
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pageQuerySchema.properties,
            status: { type: 'string', description: `One or more of ${MESSAGE_STATUSES.join(', ')}, comma-separated` },
            phone: { type: 'string', description: 'The recipient, as sent (country code and number)' },
            since: { type: 'string', description: 'Accepted at or after this time (ISO 8601)' },
            until: { type: 'string', description: 'Accepted before this time (ISO 8601)' },
          },
        },
        response: {
          200: { type: 'object', properties: { messages: { type: 'array', items: messageSchema }, next_cursor: { type: ['string', 'null'] } } },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => {
      const instance = requireInstance(request);
      const q = request.query;
      const { limit, before } = parsePage(q);
      let phone: string | undefined;
      if (q.phone !== undefined) {
        const p = normalizePhone(q.phone, 'phone');
        if (!p.ok) throw p.error;
        phone = p.digits;
      }
      const since = time(q.since, 'since');
      const until = time(q.until, 'until');
      if (since !== undefined && until !== undefined && since > until) throw fieldError('until', 'invalid_range', 'until must not be before since');
      const rows = await listMessages(deps.db, instance.id, { statuses: statuses(q.status), phone, since, until, before, limit });
      return {
        messages: rows.map(presentMessage),
        next_cursor: nextCursor(
          rows.map((r) => ({ id: Number(r.seq) })),
          limit,
        ),
      };
    },
  );
}
