/** GET /api/v1/contacts/{phone}: whether a number is on WhatsApp, and the id it resolves to (the instance's engine answers). */
import type { FastifyInstance } from 'fastify';
import { ApiError, CodedError } from '../../domain/errors.js';
import { normalizePhone } from '../../domain/phone.js';
import type { Engine } from '../../engines/engine.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';

export function contactRoutes(app: FastifyInstance, deps: { auth: InstanceAuthenticator; engineOf: (name: string) => Engine | undefined }): void {
  app.get<{ Params: { phone: string } }>(
    '/api/v1/contacts/:phone',
    {
      onRequest: deps.auth.hook(),
      schema: {
        response: {
          200: { type: 'object', properties: { phone: { type: 'string' }, on_whatsapp: { type: 'boolean' }, jid: { type: ['string', 'null'] } } },
          '4xx': errorSchema,
          '5xx': errorSchema,
        },
      },
    },
    async (request) => {
      const instance = requireInstance(request);
      const phone = normalizePhone(request.params.phone);
      if (!phone.ok) throw phone.error;
      const contacts = deps.engineOf(instance.engine)?.contacts;
      if (contacts === undefined) throw new ApiError(409, 'lookup_not_supported', `A ${instance.engine} instance cannot look numbers up`);
      try {
        const { jid } = await contacts.lookup(instance.id, phone.digits);
        return { phone: phone.digits, on_whatsapp: jid !== null, jid };
      } catch (err) {
        if (!(err instanceof CodedError)) throw err;
        const status = err.code === 'instance_not_connected' ? 409 : 503;
        throw new ApiError(status, err.code, err.message, undefined, { 'Retry-After': '5' });
      }
    },
  );
}
