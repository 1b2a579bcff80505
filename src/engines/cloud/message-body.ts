/**
 * The Cloud API messages one Connexa message becomes, as Meta documents
 * them: `to` as `+` and the digits; text as `text.body`; image, video and
 * document by the id of the file uploaded first, with the caption where
 * Cloud API takes one and the document's file name; audio by id, as a voice
 * note when it is OGG/Opus, and, since audio takes no caption, its text as a
 * second, text message right after it (as the contract says).
 */
import type { OutgoingMessage } from '../engine.js';

export type CloudBody = Record<string, unknown>;

export function cloudBodies(m: OutgoingMessage, mediaId: string | undefined): CloudBody[] {
  const to = `+${m.recipient.replace(/^\+/, '')}`;
  const text = (body: string): CloudBody => ({ to, type: 'text', text: { body } });
  if (m.type === 'text' || m.media === undefined || mediaId === undefined) return [text(m.text ?? '')];
  const caption = m.text !== undefined && m.text !== '' ? { caption: m.text } : {};
  switch (m.type) {
    case 'image':
    case 'video':
      return [{ to, type: m.type, [m.type]: { id: mediaId, ...caption } }];
    case 'document':
      return [{ to, type: 'document', document: { id: mediaId, ...caption, ...(m.media.filename !== undefined ? { filename: m.media.filename } : {}) } }];
    case 'audio': {
      const voice = m.media.voiceNote && m.media.mime.toLowerCase().startsWith('audio/ogg');
      const audio: CloudBody = { to, type: 'audio', audio: { id: mediaId, ...(voice ? { voice: true } : {}) } };
      return m.text !== undefined && m.text !== '' ? [audio, text(m.text)] : [audio];
    }
  }
}
