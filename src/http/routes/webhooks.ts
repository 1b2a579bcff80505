/**
 * The instance's webhook: configure it (PUT/GET/DELETE /api/v1/instance/webhook)
 * and see what was delivered (GET /api/v1/webhooks/deliveries, retry one,
 * replay from a time).
 */
import dns from 'node:dns/promises';
import type { FastifyInstance } from 'fastify';
import { ApiError, fieldError } from '../../domain/errors.js';
import { isPublicAddress } from '../../media/address-guard.js';
import { checkMediaUrlSyntax } from '../../media/safe-fetch.js';
import type { WebhookDeliveryStatements } from '../../store/webhook-deliveries.js';
import type { WebhookEndpointStatements } from '../../store/webhook-endpoints.js';
import { isWebhookEventType, WEBHOOK_EVENT_TYPES } from '../../domain/webhook-events.js';
import type { WebhookEventRow } from '../../store/schema.js';
import { generateWebhookSecret, SECRET_PREFIX } from '../../webhooks/signature.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';
import { nextCursor, pageQuerySchema, parsePage } from '../paging.js';

export interface WebhookRouteDeps {
  auth: InstanceAuthenticator;
  endpoints: WebhookEndpointStatements;
  deliveries: WebhookDeliveryStatements;
  allowPrivateNetworks: boolean;
  now?: () => number;
}

interface PutBody {
  url?: unknown;
  events?: unknown;
  secret?: unknown;
  rotate_secret?: unknown;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());
const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;
const endpointSchema = {
  type: 'object',
  properties: {
    url: { type: 'string' },
    events: { type: ['array', 'null'], items: { type: 'string' } },
    enabled: { type: 'boolean' },
    disabled_reason: { type: ['string', 'null'] },
    secret: { type: 'string' },
  },
} as const;

/** The target must be a public address now (and is checked again on every delivery). */
async function checkTarget(url: string, allowPrivate: boolean): Promise<void> {
  const problem = checkMediaUrlSyntax(url, allowPrivate);
  if (problem !== undefined) {
    throw fieldError('url', problem.code === 'media_url_blocked' ? 'webhook_url_blocked' : 'invalid_url', problem.message.replace('media URL', 'webhook URL'));
  }
  if (allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const records = await dns.lookup(host, { all: true }).catch(() => []);
  if (records.length === 0) throw fieldError('url', 'webhook_url_unresolvable', `The webhook host ${host} does not resolve`);
  if (records.some((r) => !isPublicAddress(r.address))) {
    throw fieldError('url', 'webhook_url_blocked', `The webhook host ${host} resolves to a private or reserved address`);
  }
}

function parseEvents(events: unknown): string[] | null {
  if (events === undefined || events === null) return null;
  if (!Array.isArray(events) || events.length === 0)
    throw fieldError('events', 'invalid_events', `events must be a non-empty list of: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  for (const e of events) {
    if (typeof e !== 'string' || !isWebhookEventType(e))
      throw fieldError('events', 'unknown_event', `Unknown event "${String(e).slice(0, 40)}"; known: ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  }
  return [...new Set(events as string[])];
}

function present(r: WebhookEventRow) {
  return {
    id: r.id,
    event_id: r.event_id,
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    last_response_status: r.last_status,
    last_error: r.last_error,
    next_attempt_at: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    created_at: iso(r.created_at),
    delivered_at: iso(r.delivered_at),
  };
}

export function webhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const onRequest = deps.auth.hook();
  const now = deps.now ?? Date.now;

  app.put<{ Body: PutBody }>(
    '/api/v1/instance/webhook',
    {
      onRequest,
      schema: {
        body: {
          type: 'object',
          properties: { url: { type: 'string' }, events: { type: 'array' }, secret: { type: 'string' }, rotate_secret: { type: 'boolean' } },
        },
        response: { 200: endpointSchema, ...errors },
      },
    },
    async (request) => {
      const instance = requireInstance(request);
      const body = request.body ?? {};
      if (typeof body.url !== 'string' || body.url === '') throw fieldError('url', 'url_required', 'url is required: where events are POSTed');
      await checkTarget(body.url, deps.allowPrivateNetworks);
      const events = parseEvents(body.events);
      let secret: string | undefined;
      if (body.secret !== undefined) {
        if (
          typeof body.secret !== 'string' ||
          !body.secret.startsWith(SECRET_PREFIX) ||
          Buffer.from(body.secret.slice(SECRET_PREFIX.length), 'base64').length < 24
        ) {
          throw fieldError('secret', 'invalid_secret', `secret must be ${SECRET_PREFIX} followed by at least 24 random bytes in base64`);
        }
        secret = body.secret;
      }
      const existing = await deps.endpoints.get(instance.id, now());
      if (secret === undefined && (existing === undefined || body.rotate_secret === true)) secret = generateWebhookSecret();
      await deps.endpoints.put(instance.id, body.url, events, secret, now());
      // The secret is shown only when it was just set or generated.
      return { url: body.url, events, enabled: true, disabled_reason: null, ...(secret !== undefined ? { secret } : {}) };
    },
  );

  app.get('/api/v1/instance/webhook', { onRequest, schema: { response: { 200: endpointSchema, ...errors } } }, async (request) => {
    const instance = requireInstance(request);
    const e = await deps.endpoints.get(instance.id, now());
    if (e === undefined) throw new ApiError(404, 'webhook_not_configured', 'This instance has no webhook; PUT /api/v1/instance/webhook sets one');
    return { url: e.url, events: e.events, enabled: e.enabled, disabled_reason: e.disabledReason };
  });

  app.delete('/api/v1/instance/webhook', { onRequest, schema: { response: errors } }, async (request, reply) => {
    const instance = requireInstance(request);
    if (!(await deps.endpoints.delete(instance.id))) throw new ApiError(404, 'webhook_not_configured', 'This instance has no webhook');
    return reply.code(204).send();
  });

  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/api/v1/webhooks/deliveries',
    {
      onRequest,
      schema: { querystring: pageQuerySchema, response: errors },
    },
    async (request) => {
      const instance = requireInstance(request);
      const { limit, before } = parsePage(request.query);
      const rows = await deps.deliveries.list(instance.id, before, limit);
      return { deliveries: rows.map(present), next_cursor: nextCursor(rows, limit) };
    },
  );

  app.post<{ Params: { id: string } }>('/api/v1/webhooks/deliveries/:id/retry', { onRequest, schema: { response: errors } }, async (request, reply) => {
    const instance = requireInstance(request);
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || !(await deps.deliveries.retryNow(instance.id, id, now()))) {
      throw new ApiError(404, 'delivery_not_found', 'No delivery with this id for this instance');
    }
    return reply.code(202).send({ id, status: 'pending' });
  });

  app.post<{ Body: { since?: unknown } }>(
    '/api/v1/webhooks/replay',
    {
      onRequest,
      schema: { body: { type: 'object', properties: { since: { type: 'string' } } }, response: errors },
    },
    async (request, reply) => {
      const instance = requireInstance(request);
      const since = typeof request.body?.since === 'string' ? Date.parse(request.body.since) : Number.NaN;
      if (!Number.isFinite(since)) throw fieldError('since', 'invalid_since', 'since must be an ISO 8601 time, e.g. 2026-11-25T10:00:00Z');
      return reply.code(202).send({ replayed: await deps.deliveries.replaySince(instance.id, since, now()) });
    },
  );
}
