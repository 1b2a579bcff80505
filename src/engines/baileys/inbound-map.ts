/**
 * Messages people send to the linked number, as rows to store: text, and for
 * media its type, size, caption and file name (the bytes are fetched on
 * demand, not stored). Our own messages and undecryptable stubs are skipped.
 */
import { getContentType, normalizeMessageContent, proto, type WAMessage } from 'baileys';

export interface InboundMessage {
  providerId: string;
  fromJid: string;
  /** Digits of the sender's phone, when WhatsApp tells it (also for `@lid` chats). */
  phone: string | undefined;
  pushName: string | undefined;
  type: 'text' | 'image' | 'video' | 'audio' | 'document' | 'sticker' | 'other';
  text: string | undefined;
  mediaMime: string | undefined;
  mediaSize: number | undefined;
  mediaFilename: string | undefined;
  sentAt: number;
  /** The encoded message, for media: what a later download needs. */
  raw: Uint8Array | undefined;
}

const MEDIA = { imageMessage: 'image', videoMessage: 'video', audioMessage: 'audio', documentMessage: 'document', stickerMessage: 'sticker' } as const;

function phoneOf(jid: string | null | undefined): string | undefined {
  if (typeof jid !== 'string' || !jid.endsWith('@s.whatsapp.net')) return undefined;
  return jid.split(/[:@]/)[0];
}

export function inboundFromMessage(m: WAMessage): InboundMessage | undefined {
  const key = m.key;
  if (key.fromMe === true || typeof key.id !== 'string' || typeof key.remoteJid !== 'string') return undefined;
  if (key.remoteJid === 'status@broadcast') return undefined;
  const content = normalizeMessageContent(m.message);
  const kind = getContentType(content ?? undefined);
  if (content === undefined || content === null || kind === undefined) return undefined;
  const seconds = Number(m.messageTimestamp ?? 0);
  const base = {
    providerId: key.id,
    fromJid: key.remoteJid,
    phone: phoneOf(key.remoteJid) ?? phoneOf(key.remoteJidAlt),
    pushName: m.pushName ?? undefined,
    sentAt: seconds > 0 ? seconds * 1000 : Date.now(),
    mediaMime: undefined,
    mediaSize: undefined,
    mediaFilename: undefined,
    raw: undefined,
  };
  if (kind === 'conversation') return { ...base, type: 'text', text: content.conversation ?? '' };
  if (kind === 'extendedTextMessage') return { ...base, type: 'text', text: content.extendedTextMessage?.text ?? '' };
  if (kind in MEDIA) {
    const media = content[kind as keyof typeof MEDIA];
    const caption = media !== null && media !== undefined && 'caption' in media ? media.caption : undefined;
    const fileName = media !== null && media !== undefined && 'fileName' in media ? media.fileName : undefined;
    return {
      ...base,
      type: MEDIA[kind as keyof typeof MEDIA],
      text: caption ?? undefined,
      mediaMime: media?.mimetype ?? undefined,
      mediaSize: media?.fileLength === undefined || media.fileLength === null ? undefined : Number(media.fileLength),
      mediaFilename: fileName ?? undefined,
      raw: proto.WebMessageInfo.encode(m).finish(),
    };
  }
  return { ...base, type: 'other', text: undefined };
}
