/** GET /api/v1/contacts/{phone}: whether a number is on WhatsApp, and the id it resolves to. */
import type { FastifyInstance } from 'fastify';
import { ApiError, CodedError } from '../../domain/errors.js';
import { normalizePhone } from '../../domain/phone.js';
import type { RecipientResolver } from '../../engines/baileys/recipient-resolver.js';
import { phoneJid } from '../../engines/baileys/recipients.js';
import type { WhatsAppSessions } from '../../engines/baileys/sessions.js';
import { behaviourFor } from '../../engines/sandbox/magic.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';

export function contactRoutes(app: FastifyInstance, deps: { auth: InstanceAuthenticator; sessions: WhatsAppSessions; recipients: RecipientResolver }): void {
  app.get<{ Params: { phone: string } }>('/api/v1/contacts/:phone', {
    onRequest: deps.auth.hook(),
    schema: {
      response: {
        200: { type: 'object', properties: { phone: { type: 'string' }, on_whatsapp: { type: 'boolean' }, jid: { type: ['string', 'null'] } } },
        '4xx': errorSchema,
        '5xx': errorSchema,
      },
    },
  }, async (request) => {
    const instance = requireInstance(request);
    const phone = normalizePhone(request.params.phone);
    if (!phone.ok) throw phone.error;
    if (instance.engine === 'sandbox') {
      const on = behaviourFor(phone.digits).kind !== 'not_on_whatsapp';
      return { phone: phone.digits, on_whatsapp: on, jid: on ? phoneJid(phone.digits) : null };
    }
    const socket = deps.sessions.get(instance.id)?.connected;
    if (socket === undefined) {
      throw new ApiError(409, 'instance_not_connected', 'Link a WhatsApp number to this instance first (GET /api/v1/instance/qr)', undefined, { 'Retry-After': '5' });
    }
    try {
      const jid = await deps.recipients.find(instance.id, socket, phone.digits);
      return { phone: phone.digits, on_whatsapp: jid !== null, jid };
    } catch (err) {
      if (err instanceof CodedError) throw new ApiError(503, err.code, err.message, undefined, { 'Retry-After': '5' });
      throw err;
    }
  });
}
