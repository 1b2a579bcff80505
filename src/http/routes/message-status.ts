/** GET /api/v1/message/{message_id}: status, timestamps, error and timeline. */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Db } from '../../store/database.js';
import { getMessageForInstance, listEvents } from '../../store/messages.js';
import { presentStatus, statusSchema } from './message-view.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
      return presentStatus(message, await listEvents(deps.db, message.id));
    },
  );
}
