/**
 * GET /api/v1/events: server-sent events carrying the webhook envelopes of an
 * instance (its credentials), or of every instance (the admin token, with an
 * optional `instance_id`). Each event's `id` is its place in the event log: a
 * client that reconnects with `Last-Event-ID` gets every event after it, none
 * twice. Streams per node and per instance are capped; a stream ends when its
 * credentials stop holding.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, fieldError } from '../../domain/errors.js';
import type { EventFeed } from '../../events/event-feed.js';
import { pumpEvents, type EventSink } from '../../events/event-pump.js';
import { ALL_INSTANCES, type EventLogStatements } from '../../store/event-log.js';
import type { AuthFailures } from '../auth-failures.js';
import { bearerAuthHook } from '../bearer-auth.js';
import { errorSchema } from '../error-handler.js';
import type { InstanceAuthenticator } from '../instance-auth.js';

export interface EventRouteDeps {
  log: EventLogStatements;
  feed: EventFeed;
  auth: InstanceAuthenticator;
  adminToken: string;
  tokenFailures: AuthFailures;
  maxStreams: number;
  maxStreamsPerInstance: number;
  heartbeatMs?: number;
  recheckMs?: number;
  /** Aborted when the gateway stops: every open stream ends (they would hold the HTTP server's close). */
  shutdown: AbortSignal;
  /** A stream of this subject (an instance id, or `*` for all) is open: its events are written to the log from now on. */
  streamOpened: (subject: string) => Promise<void>;
}

const STILL_OPEN_MS = 60_000;

interface EventsRequest {
  Querystring: { instance_id?: string };
  Headers: { 'last-event-id'?: string };
}

function lastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[0-9]{1,15}$/.test(raw)) throw fieldError('Last-Event-ID', 'invalid_last_event_id', 'Last-Event-ID must be the id of an event this stream sent');
  return Number(raw);
}

function sinkOf(reply: FastifyReply): EventSink {
  const raw = reply.raw;
  return {
    write: (chunk) => raw.write(chunk),
    drained: () =>
      new Promise((resolve) => {
        const done = (): void => {
          raw.off('drain', done);
          raw.off('close', done);
          resolve();
        };
        raw.on('drain', done);
        raw.on('close', done);
      }),
  };
}

export function eventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const admin = bearerAuthHook({
    token: deps.adminToken,
    subject: 'admin',
    hint: 'Authentication required: HTTP Basic with user_id:instance_token, or Bearer with the admin token',
    failures: deps.tokenFailures,
  });
  const open = new Map<string, number>();
  let total = 0;
  const streams = new Set<AbortController>();
  deps.shutdown.addEventListener('abort', () => {
    for (const s of streams) s.abort();
  });

  const authenticate = async (request: FastifyRequest<EventsRequest>): Promise<void> => {
    if (/^Bearer\s/i.test(request.headers.authorization ?? '')) await admin(request);
    else request.instance = await deps.auth.authenticate(request.headers.authorization, request.ip);
  };

  app.get<EventsRequest>(
    '/api/v1/events',
    {
      onRequest: authenticate,
      schema: {
        description:
          'Server-sent events: the webhook envelopes (statuses, received messages, QR codes, connection changes) as they happen. Reconnect with Last-Event-ID to resume.',
        querystring: {
          type: 'object',
          properties: {
            instance_id: {
              type: 'string',
              pattern: '^[0-9a-fA-F-]{36}$',
              description: 'Admin token only: the events of this instance (all instances when absent)',
            },
          },
        },
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', description: 'Resume after this event id' } } },
        response: {
          200: { description: 'A stream of events (text/event-stream)', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const after = lastEventId(request.headers['last-event-id']);
      const header = request.headers.authorization ?? '';
      const instance = request.instance;
      if (instance !== null && request.query.instance_id !== undefined) {
        throw fieldError('instance_id', 'not_allowed', 'instance_id is for the admin token; instance credentials stream their own instance');
      }
      const instanceId = instance?.id ?? request.query.instance_id?.toLowerCase();
      const key = instanceId ?? ALL_INSTANCES;
      if (deps.shutdown.aborted)
        throw new ApiError(503, 'shutting_down', 'The server is shutting down; connect to another node or retry', undefined, { 'Retry-After': '5' });
      if (total >= deps.maxStreams || (open.get(key) ?? 0) >= deps.maxStreamsPerInstance) {
        throw new ApiError(429, 'too_many_streams', 'Too many event streams are open; close one first', undefined, { 'Retry-After': '5' });
      }
      // Counted before the first wait, so requests arriving together cannot pass the cap together.
      total += 1;
      open.set(key, (open.get(key) ?? 0) + 1);
      const controller = new AbortController();
      let stillOpen: NodeJS.Timeout | undefined;
      let clientLeft = false;
      const raw = reply.raw;
      try {
        await deps.streamOpened(key);
        const lastId = await deps.log.lastId();
        streams.add(controller);
        reply.hijack();
        raw.on('close', () => {
          clientLeft = !raw.writableFinished;
          controller.abort();
        });
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        });
        raw.write('retry: 2000\n\n');
        // While it stays open, the stream says so now and then: its events stay wanted.
        stillOpen = setInterval(() => void deps.streamOpened(key).catch(() => undefined), STILL_OPEN_MS);
        const end = await pumpEvents({
          log: deps.log,
          feed: deps.feed,
          instanceId,
          after: after === undefined ? undefined : Math.min(after, lastId),
          sink: sinkOf(reply),
          allowed: () => (instance === null ? Promise.resolve(true) : deps.auth.stillHolds(header, instance.id)),
          recheckMs: deps.recheckMs ?? 5_000,
          heartbeatMs: deps.heartbeatMs ?? 15_000,
          signal: controller.signal,
        });
        if (end === 'revoked') raw.write('event: stream.closed\ndata: {"reason":"credentials_revoked"}\n\n');
      } catch (err) {
        // Before the stream began, the error is the answer; after, the stream just ends.
        if (!reply.sent) throw err;
        request.log.warn({ err }, 'event stream failed');
      } finally {
        clearInterval(stillOpen);
        streams.delete(controller);
        total -= 1;
        const left = (open.get(key) ?? 1) - 1;
        if (left === 0) open.delete(key);
        else open.set(key, left);
        if (reply.sent) {
          // A client that left may keep its half of the connection open: nothing more goes over it.
          if (clientLeft) request.raw.socket.destroy();
          else raw.end();
        }
      }
    },
  );
}
