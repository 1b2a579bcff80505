/**
 * What the fake checks in a `POST /{phone-number-id}/messages` body before it
 * accepts it, answering in Meta's error codes: the envelope
 * (`messaging_product`, `recipient_type`, `to`, `type`), text bodies
 * (≤ 4096), media objects (exactly one of `id` and `link`, captions ≤ 1024
 * and never on audio or stickers, `filename` only on documents, `voice` only
 * on audio, and only for an uploaded OGG/Opus file).
 */
import { GraphError } from './errors.js';

export type MediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'video', 'audio', 'document', 'sticker'];
const TYPES = ['text', ...MEDIA_TYPES, 'location', 'contacts', 'interactive', 'template', 'reaction'];

export interface MediaObject {
  id?: string;
  link?: string;
  caption?: string;
  filename?: string;
  voice?: boolean;
}

export interface ValidMessage {
  to: string;
  type: string;
  text?: { body: string; preview_url?: boolean };
  media?: MediaObject;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a body; `mimeOf` gives an uploaded media id's MIME type (undefined: unknown id). */
export function validateMessage(body: unknown, mimeOf: (mediaId: string) => string | undefined): ValidMessage {
  if (!isObject(body)) throw new GraphError(100, 'The request body must be a JSON object');
  if (body['messaging_product'] !== 'whatsapp') throw new GraphError(100, 'The parameter messaging_product is required and must be "whatsapp"');
  if (body['recipient_type'] !== undefined && body['recipient_type'] !== 'individual') throw new GraphError(100, 'recipient_type must be "individual"');
  const to = body['to'];
  if (typeof to !== 'string' || to === '') throw new GraphError(131008, "Parameter 'to' is required");
  if (to.startsWith('00') || !/^\+?\d{6,15}$/.test(to)) throw new GraphError(100, `Invalid parameter 'to': ${to.slice(0, 20)}`);
  const type = body['type'] === undefined ? 'text' : body['type'];
  if (typeof type !== 'string' || !TYPES.includes(type)) throw new GraphError(100, `Invalid parameter 'type'`);
  if (type === 'text') {
    const text = body['text'];
    if (!isObject(text) || typeof text['body'] !== 'string' || text['body'] === '') throw new GraphError(131008, "Parameter 'text.body' is required");
    if (text['body'].length > 4096) throw new GraphError(100, 'text.body must be at most 4096 characters');
    return { to, type, text: { body: text['body'], ...(text['preview_url'] === true ? { preview_url: true } : {}) } };
  }
  if (!(MEDIA_TYPES as readonly string[]).includes(type)) throw new GraphError(131051, `The fake sends no ${type} messages`);
  const media = body[type];
  if (!isObject(media)) throw new GraphError(131008, `Parameter '${type}' is required`);
  const id = media['id'];
  const link = media['link'];
  if ((id === undefined) === (link === undefined)) throw new GraphError(100, `${type} needs exactly one of 'id' and 'link'`);
  if (id !== undefined && (typeof id !== 'string' || mimeOf(id) === undefined)) throw new GraphError(131009, `No uploaded media with id ${String(id)}`);
  if (link !== undefined && (typeof link !== 'string' || !/^https?:\/\//.test(link))) throw new GraphError(100, `${type}.link must be an http(s) URL`);
  const caption = media['caption'];
  if (caption !== undefined) {
    if (type === 'audio' || type === 'sticker') throw new GraphError(100, `${type} messages take no caption`);
    if (typeof caption !== 'string' || caption.length > 1024) throw new GraphError(100, 'caption must be a string of at most 1024 characters');
  }
  const filename = media['filename'];
  if (filename !== undefined && (type !== 'document' || typeof filename !== 'string')) throw new GraphError(100, 'filename is only for documents');
  const voice = media['voice'];
  if (voice !== undefined) {
    if (type !== 'audio' || typeof voice !== 'boolean') throw new GraphError(100, 'voice is only for audio');
    if (voice && (typeof id !== 'string' || mimeOf(id)?.startsWith('audio/ogg') !== true))
      throw new GraphError(131009, 'A voice message must be an uploaded OGG/Opus file');
  }
  return {
    to,
    type,
    media: {
      ...(typeof id === 'string' ? { id } : {}),
      ...(typeof link === 'string' ? { link } : {}),
      ...(typeof caption === 'string' ? { caption } : {}),
      ...(typeof filename === 'string' ? { filename } : {}),
      ...(voice === true ? { voice: true } : {}),
    },
  };
}

/** Upload MIME types and sizes per media type (reference table). */
export const UPLOAD_LIMITS: Record<MediaType, { mimes: string[]; maxBytes: number }> = {
  audio: { mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * 1024 * 1024 },
  document: {
    mimes: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * 1024 * 1024,
  },
  image: { mimes: ['image/jpeg', 'image/png'], maxBytes: 5 * 1024 * 1024 },
  video: { mimes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * 1024 * 1024 },
  sticker: { mimes: ['image/webp'], maxBytes: 500 * 1024 },
};

/** The media type an uploaded MIME belongs to, or undefined when Cloud API refuses it. */
export function uploadTypeOf(mime: string): MediaType | undefined {
  const bare = mime.split(';')[0]?.trim().toLowerCase() ?? '';
  return MEDIA_TYPES.find((t) => UPLOAD_LIMITS[t].mimes.includes(bare));
}
