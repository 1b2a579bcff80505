/**
 * An outgoing message as the API shows it: status, timestamps, error and
 * media; with its timeline on the status endpoint, without it in lists.
 */
import type { EventRow, MessageRow } from '../../store/schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** The fields of a message (`GET /api/v1/messages` lists these). */
export const messageSchema = {
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
  },
} as const;

/** The fields of a message and its timeline (`GET /api/v1/message/{id}`). */
export const statusSchema = {
  type: 'object',
  properties: {
    ...messageSchema.properties,
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

export function presentMessage(m: MessageRow) {
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
  };
}

export function presentStatus(m: MessageRow, events: EventRow[]) {
  return {
    ...presentMessage(m),
    events: [
      { status: 'queued', at: new Date(Number(m.created_at)).toISOString(), code: null, detail: null },
      ...events.map((e) => ({ status: e.kind, at: new Date(Number(e.at)).toISOString(), code: e.code, detail: e.detail })),
    ],
  };
}
