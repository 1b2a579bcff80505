/** What a send request becomes once validated: the domain's view, no HTTP. */
import type { MediaKind } from '../media/kinds.js';

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export function isMessageType(s: string): s is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(s);
}

export const TEXT_MAX_CHARS = 4096;
export const CAPTION_MAX_CHARS = 1024;

/** Media bytes as stored: known at accept time (base64) or fetched by the dispatcher (url). */
export interface StoredMedia {
  mime: string;
  size: number;
  sha256: string;
  filename: string | undefined;
  /** OGG/Opus audio goes out as a voice note. */
  voiceNote: boolean;
}

export type MediaSource = { kind: 'inline' } | { kind: 'url'; url: string };

/** A validated, accepted message ready to be stored. */
export interface NewMessage {
  id: string;
  instanceId: string;
  type: MessageType;
  recipient: string;
  text: string | undefined;
  media:
    | {
        kind: MediaKind;
        source: MediaSource;
        /** Present for inline media (validated at accept), absent for URLs until fetched. */
        bytes: Buffer | undefined;
        info: StoredMedia | undefined;
        /** What the client asked for; used when the URL's bytes arrive. */
        requestedFilename: string | undefined;
        requestedMime: string | undefined;
      }
    | undefined;
  acceptedAt: number;
  /** The request's Idempotency-Key, stored with the message in one commit. */
  idempotency?: { key: string; requestHash: string };
}
