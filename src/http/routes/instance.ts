/**
 * The instance behind the credentials: its connection state, and linking a
 * WhatsApp number to it (QR code as PNG or JSON, or a pairing code), logout
 * and restart. Only for engines that link a number; the sandbox is always
 * connected.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { ApiError, CodedError, fieldError } from '../../domain/errors.js';
import { normalizePhone } from '../../domain/phone.js';
import type { WhatsAppSessions } from '../../engines/baileys/sessions.js';
import type { Engine } from '../../engines/engine.js';
import type { SessionSnapshot } from '../../engines/baileys/session.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type AuthenticatedInstance, type InstanceAuthenticator } from '../instance-auth.js';

const nullable = { type: ['string', 'null'] } as const;
const stateSchema = {
  type: 'object',
  properties: {
    instance_id: { type: 'string' },
    engine: { type: 'string' },
    state: { type: 'string', enum: ['disconnected', 'connecting', 'qr', 'connected', 'logged_out', 'banned', 'failed'] },
    reason: nullable,
    phone: nullable,
    since: nullable,
    waiting: { type: 'integer', description: 'Messages of this instance not sent yet (queued, waiting for the number, or between retries)' },
    restricted_until: {
      ...nullable,
      description: 'WhatsApp restricts the number from starting new chats until then: messages to new contacts wait, chats the number already has go on',
    },
  },
} as const;
const errors = { '4xx': errorSchema, '5xx': errorSchema } as const;

function present(instance: AuthenticatedInstance, snap: SessionSnapshot | undefined, waiting: number, restrictedUntil: number | undefined) {
  return {
    instance_id: instance.id,
    engine: instance.engine,
    state: snap?.state ?? 'connected',
    reason: snap?.reason ?? null,
    phone: snap?.phone ?? null,
    since: snap === undefined || snap.since === 0 ? null : new Date(snap.since).toISOString(),
    waiting,
    restricted_until: restrictedUntil === undefined ? null : new Date(restrictedUntil).toISOString(),
  };
}

export function instanceRoutes(
  app: FastifyInstance,
  deps: {
    auth: InstanceAuthenticator;
    sessions: WhatsAppSessions;
    waitingMessages: (instanceId: string) => Promise<number>;
    engineOf: (name: string) => Engine | undefined;
  },
): void {
  const onRequest = deps.auth.hook();
  const links = (engine: string): boolean => deps.engineOf(engine)?.capabilities.linking === true;
  const linkable = (request: FastifyRequest): AuthenticatedInstance => {
    const instance = requireInstance(request);
    if (!links(instance.engine)) {
      throw new ApiError(409, 'linking_not_supported', `A ${instance.engine} instance needs no linking; it is always connected`);
    }
    return instance;
  };
  const wrap = (fn: () => Promise<unknown>) =>
    fn().catch((err: unknown) => {
      if (err instanceof CodedError) throw new ApiError(409, err.code, err.message, undefined, { 'Retry-After': '3' });
      throw err;
    });

  app.get('/api/v1/instance', { onRequest, schema: { response: { 200: stateSchema, ...errors } } }, async (request) => {
    const instance = requireInstance(request);
    const whatsapp = links(instance.engine);
    const states = deps.engineOf(instance.engine)?.states;
    return present(
      instance,
      whatsapp ? await deps.sessions.snapshot(instance.id) : await states?.snapshot(instance.id),
      await deps.waitingMessages(instance.id),
      whatsapp ? deps.sessions.restrictedUntil(instance.id) : undefined,
    );
  });

  app.get('/api/v1/instance/qr', { onRequest, schema: { response: errors } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const instance = linkable(request);
    const session = await deps.sessions.ensure(instance.id);
    if (['disconnected', 'failed', 'logged_out'].includes(session.current.state)) session.start();
    const snap = session.current;
    if (snap.state === 'connected') throw new ApiError(409, 'already_connected', `This instance is already linked to ${snap.phone ?? 'a number'}`);
    if (snap.state !== 'qr' || snap.qr === undefined) {
      throw new ApiError(409, 'qr_not_ready', 'The QR code is being prepared; retry in a few seconds', undefined, { 'Retry-After': '2' });
    }
    const body = { code: snap.qr.code, expires_at: new Date(snap.qr.expiresAt).toISOString() };
    if (request.headers.accept?.includes('application/json') === true) return body;
    const png = await QRCode.toBuffer(snap.qr.code, { type: 'png', margin: 2, width: 320 });
    return reply.header('content-type', 'image/png').header('cache-control', 'no-store').send(png);
  });

  app.post<{ Body: { phone?: unknown } }>(
    '/api/v1/instance/pairing-code',
    {
      onRequest,
      schema: {
        body: { type: 'object', properties: { phone: { type: ['string', 'number'] } } },
        response: { 200: { type: 'object', properties: { code: { type: 'string' } } }, ...errors },
      },
    },
    async (request) => {
      const instance = linkable(request);
      const raw = request.body?.phone;
      const phone = normalizePhone(typeof raw === 'number' ? String(raw) : raw);
      if (!phone.ok) throw phone.error;
      const code = await wrap(() => deps.sessions.pairingCode(instance.id, phone.digits));
      if (typeof code !== 'string') throw fieldError('phone', 'pairing_failed', 'WhatsApp did not return a pairing code');
      return { code };
    },
  );

  app.post('/api/v1/instance/logout', { onRequest, schema: { response: { 200: stateSchema, ...errors } } }, async (request) => {
    const instance = linkable(request);
    await deps.sessions.logout(instance.id);
    return present(instance, await deps.sessions.snapshot(instance.id), await deps.waitingMessages(instance.id), deps.sessions.restrictedUntil(instance.id));
  });

  app.post('/api/v1/instance/restart', { onRequest, schema: { response: { 202: stateSchema, ...errors } } }, async (request, reply) => {
    const instance = linkable(request);
    await deps.sessions.restart(instance.id);
    return reply
      .code(202)
      .send(present(instance, await deps.sessions.snapshot(instance.id), await deps.waitingMessages(instance.id), deps.sessions.restrictedUntil(instance.id)));
  });
}
