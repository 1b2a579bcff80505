/**
 * What arrives from WhatsApp, as the engines hand it on and the store keeps
 * it: messages from other people, and their reactions, edits and deletions
 * of messages already sent.
 */
export interface Sender {
  /** The chat (a person's jid, or the group's `@g.us`). */
  fromJid: string;
  /** Digits of the sender's phone, when known (for `@lid` senders WhatsApp may give it alongside). */
  phone: string | undefined;
  /** The sender's jid as WhatsApp addressed it (`@s.whatsapp.net` or `@lid`). */
  senderJid: string;
  /** In a group: the group's jid. */
  group: string | undefined;
}

export interface InboundMessage extends Sender {
  providerId: string;
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

export interface ChangeBase extends Sender {
  /** The WhatsApp id of the reaction, edit or deletion itself. */
  providerId: string;
  /** The WhatsApp id of the message it is about. */
  targetId: string;
  at: number;
}

export type InboundChange =
  /** `emoji` undefined: the reaction was taken back. */
  | (ChangeBase & { kind: 'reaction'; emoji: string | undefined })
  | (ChangeBase & { kind: 'edited'; text: string | undefined })
  | (ChangeBase & { kind: 'deleted' });
