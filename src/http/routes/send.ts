/** POST /api/v1/message/{message_type}: the contract's one write. */
import type { FastifyInstance } from 'fastify';
import { fieldError } from '../../domain/errors.js';
import { MESSAGE_TYPES, type MessageType } from '../../domain/message.js';
import { readIdempotencyKey } from '../../accept/idempotency-gate.js';
import type { Sender } from '../../accept/sender.js';
import { errorSchema } from '../error-handler.js';
import { requireInstance, type InstanceAuthenticator } from '../instance-auth.js';
import type { SendBody } from '../../accept/validate-send.js';
import type { MediaKind } from '../../media/kinds.js';
import type { UploadSlots } from '../../accept/upload-slots.js';

export interface SendRouteDeps {
  auth: InstanceAuthenticator;
  sender: Sender;
  textBodyLimit: number;
  /** The body limit of a media route, sized to that kind's largest file. */
  mediaBodyLimit: (kind: MediaKind) => number;
  /** Large media bodies in flight at once. */
  uploads: UploadSlots;
}

const bodySchema = {
  type: 'object',
  properties: {
    phone: { type: ['string', 'number'], description: 'Recipient in international format, e.g. 554499999999' },
    data: {
      type: 'object',
      properties: {
        text: { type: 'string', description: 'Message text, or the caption of media' },
        url: { type: 'string', description: 'http(s) URL of the file (media only)' },
        base64: { type: 'string', description: 'The file as base64 or a data: URI (media only)' },
        filename: { type: 'string', description: 'File name shown to the recipient (documents)' },
        mimetype: { type: 'string', description: 'Declared MIME type (a hint; the bytes decide)' },
      },
    },
  },
} as const;

const responses = {
  200: { type: 'object', properties: { message_id: { type: 'string', format: 'uuid' } }, required: ['message_id'] },
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;

export function sendRoutes(app: FastifyInstance, deps: SendRouteDeps): void {
  for (const type of MESSAGE_TYPES) {
    app.post<{ Body: SendBody }>(
      `/api/v1/message/${type}`,
      {
        onRequest: deps.auth.hook(),
        bodyLimit: type === 'text' ? deps.textBodyLimit : deps.mediaBodyLimit(type),
        schema: { body: bodySchema, response: responses },
        // After authentication, before the body is read: a large upload needs a slot.
        preParsing: async (request, reply, payload) => {
          if (type === 'text') return payload;
          const header = request.headers['content-length'];
          if (!deps.uploads.isLarge(header === undefined ? undefined : Number(header))) return payload;
          reply.raw.once('close', deps.uploads.take(requireInstance(request).id));
          return payload;
        },
      },
      async (request, reply) => {
        const instance = requireInstance(request);
        const key = readIdempotencyKey(request.headers['idempotency-key']);
        const result = await deps.sender.send(instance.id, type satisfies MessageType, request.body ?? {}, key, request.streamedBase64 ?? undefined);
        if (result.replayed) reply.header('Idempotent-Replayed', 'true');
        return reply.code(200).send({ message_id: result.messageId });
      },
    );
  }

  // Any other type is a client error, not a missing route.
  app.post<{ Params: { message_type: string } }>(
    '/api/v1/message/:message_type',
    {
      onRequest: deps.auth.hook(),
      bodyLimit: deps.textBodyLimit,
      schema: { response: responses },
    },
    async (request) => {
      throw fieldError(
        'message_type',
        'unknown_message_type',
        `Unknown message type "${request.params.message_type.slice(0, 40)}"; use one of ${MESSAGE_TYPES.join(', ')}`,
      );
    },
  );
}
