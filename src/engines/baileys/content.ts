/**
 * What Baileys is asked to send for each Connexa message: the exact content
 * objects `sendMessage` takes, from bytes already downloaded and checked
 * (never a URL: Baileys reads a non-http `{url}` as a local file path).
 * Audio cannot carry a caption on WhatsApp, so its text goes as a second
 * message. Each part's WhatsApp id is derived from the message_id, so a
 * resend after a crash is the same WhatsApp message.
 */
import type { AnyMessageContent } from 'baileys';
import { deriveProviderId } from '../../domain/provider-id.js';
import type { OutgoingMessage } from '../engine.js';

export interface ContentPart {
  /** The WhatsApp message id, in Baileys' own format (`3EB0` + 18 hex digits). */
  messageId: string;
  content: AnyMessageContent;
}

/** WhatsApp Web ids look like Baileys' generateMessageIDV2: 3EB0 and 18 upper-case hex digits. */
export function whatsappMessageId(messageId: string, part: number): string {
  return deriveProviderId('3EB0', messageId, part, 18);
}

export const VOICE_NOTE_MIME = 'audio/ogg; codecs=opus';

export function toContentParts(m: OutgoingMessage): ContentPart[] {
  const part = (index: number, content: AnyMessageContent): ContentPart => ({ messageId: whatsappMessageId(m.messageId, index), content });
  const caption = m.text !== undefined && m.text !== '' ? m.text : undefined;
  const media = m.media;
  if (media === undefined) return [part(0, { text: m.text ?? '' })];
  switch (media.kind) {
    case 'image':
      return [part(0, { image: media.bytes, mimetype: media.mime, ...(caption !== undefined ? { caption } : {}) })];
    case 'video':
      return [part(0, { video: media.bytes, mimetype: media.mime, ...(caption !== undefined ? { caption } : {}) })];
    case 'document':
      return [
        part(0, {
          document: media.bytes,
          mimetype: media.mime,
          fileName: media.filename ?? 'document',
          ...(caption !== undefined ? { caption } : {}),
        }),
      ];
    case 'audio': {
      const audio = part(0, { audio: media.bytes, ptt: media.voiceNote, mimetype: media.voiceNote ? VOICE_NOTE_MIME : media.mime });
      return caption === undefined ? [audio] : [audio, part(1, { text: caption })];
    }
  }
}
