/**
 * Messages people send to the linked number, as rows to store: text, and for
 * media its type, size, caption and file name (the bytes are fetched on
 * demand, not stored). Our own messages, undecryptable stubs, and what is not
 * a message of its own (reactions, edits, deletions: see inbound-changes.ts;
 * protocol messages, poll votes) are skipped.
 */
import { getContentType, normalizeMessageContent, proto, type WAMessage, type WAMessageKey } from 'baileys';
import type { InboundMessage, Sender } from '../../domain/inbound.js';

export type { InboundMessage, Sender } from '../../domain/inbound.js';

/** Who sent it, and where: the chat, or in a group the group and the member who wrote. */
const MEDIA = { imageMessage: 'image', videoMessage: 'video', audioMessage: 'audio', documentMessage: 'document', stickerMessage: 'sticker' } as const;

/** Content types that are not a message of their own: never a `message.received`. */
const NOT_MESSAGES = new Set(['protocolMessage', 'reactionMessage', 'pollUpdateMessage', 'senderKeyDistributionMessage', 'messageContextInfo']);

export function phoneOf(jid: string | null | undefined): string | undefined {
  if (typeof jid !== 'string' || !jid.endsWith('@s.whatsapp.net')) return undefined;
  return jid.split(/[:@]/)[0];
}

/** The sender of a message from someone else (undefined for our own, status broadcasts and keyless stubs). */
export function senderOf(key: WAMessageKey): Sender | undefined {
  if (key.fromMe === true || typeof key.remoteJid !== 'string' || key.remoteJid === 'status@broadcast') return undefined;
  if (key.remoteJid.endsWith('@g.us')) {
    const member = key.participant ?? undefined;
    if (typeof member !== 'string') return undefined;
    return { fromJid: key.remoteJid, group: key.remoteJid, senderJid: member, phone: phoneOf(member) ?? phoneOf(key.participantAlt) };
  }
  return { fromJid: key.remoteJid, group: undefined, senderJid: key.remoteJid, phone: phoneOf(key.remoteJid) ?? phoneOf(key.remoteJidAlt) };
}

/** Seconds since the epoch as WhatsApp stamps messages, in ms (now when missing). */
export function sentAtOf(m: WAMessage): number {
  const seconds = Number(m.messageTimestamp ?? 0);
  return seconds > 0 ? seconds * 1000 : Date.now();
}

export function inboundFromMessage(m: WAMessage): InboundMessage | undefined {
  const key = m.key;
  const sender = senderOf(key);
  if (sender === undefined || typeof key.id !== 'string') return undefined;
  const content = normalizeMessageContent(m.message);
  const kind = getContentType(content ?? undefined);
  if (content === undefined || content === null || kind === undefined || NOT_MESSAGES.has(kind)) return undefined;
  const base = {
    ...sender,
    providerId: key.id,
    pushName: m.pushName ?? undefined,
    sentAt: sentAtOf(m),
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
